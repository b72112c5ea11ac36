"""Every input kind, planned into blocks and read back, without Ray."""

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spacy_bert_components.corpus.blocks import plan_blocks
from spacy_bert_components.corpus.readers import read_block
from spacy_bert_components.corpus.sources import ReadOptions, find_sources
from spacy_bert_components.errors import UnreadableInputError

from ..batch.conftest import make_texts, write_jsonl, write_parquet

OPTIONS = ReadOptions()


def read_all(paths, rows_per_block=3, limit=None, options=OPTIONS):
    plan = plan_blocks(
        find_sources(paths), options, max_rows_per_block=1000, rows_per_block=rows_per_block, limit=limit
    )
    tables = [read_block(block, options) for block in plan.blocks]
    assert all(t.num_rows == b.n_rows for t, b in zip(tables, plan.blocks))
    return plan, pa.concat_tables(tables).to_pylist() if tables else []


def test_parquet_blocks_cross_row_groups(tmp_path):
    texts = make_texts(23)
    write_parquet(tmp_path / "a.parquet", texts, ids=[f"doc{i}" for i in range(23)], row_group_size=5)
    plan, rows = read_all([tmp_path / "a.parquet"], rows_per_block=4)
    assert len(plan.blocks) == 6 and plan.n_rows == 23
    assert [r["text"] for r in rows] == texts
    assert [r["id"] for r in rows] == [f"doc{i}" for i in range(23)]
    assert rows[7]["source"] == {"file": str(tmp_path / "a.parquet"), "row": 7, "member": None}


def test_parquet_folder_stable_ids_and_bad_values(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_parquet(folder / "b.parquet", ["one.", "two."])
    table = pa.table({"text": pa.array([b"ok bytes", b"\xff\xfebad", None], pa.binary())})
    pq.write_table(table, folder / "c.parquet")
    (folder / "_SUCCESS").write_text("")
    plan, rows = read_all([folder])
    assert [r["id"] for r in rows] == [
        "corpus/b.parquet:0",
        "corpus/b.parquet:1",
        "corpus/c.parquet:0",
        "corpus/c.parquet:1",
        "corpus/c.parquet:2",
    ]
    assert rows[2]["text"] == "ok bytes" and rows[2]["error"] is None
    assert rows[3]["text"] is None and rows[3]["error"].startswith(
        "undecodable bytes: not UTF-8 (byte 0xff at position 0)"
    )
    assert rows[4]["error"] == "null text: 'text' is null"


def test_parquet_text_not_a_string(tmp_path):
    pq.write_table(pa.table({"text": [1, 2]}), tmp_path / "n.parquet")
    _, rows = read_all([tmp_path / "n.parquet"])
    assert [r["error"] for r in rows] == ["not a string: 'text' holds a int"] * 2


def test_jsonl_rows_and_errors(tmp_path):
    path = tmp_path / "d.jsonl"
    lines = [
        json.dumps({"id": 7, "text": "Seven."}),
        "",
        json.dumps({"text": "No id."}),
        "{not json",
        json.dumps({"text": None}),
        json.dumps({"text": ["a list"]}),
        json.dumps({"body": "other field"}),
        json.dumps(["not", "an", "object"]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    plan, rows = read_all([path], rows_per_block=2)
    assert plan.n_rows == 7  # the blank line is not a document
    assert [r["id"] for r in rows][:2] == ["7", "d.jsonl:1"]
    errors = [r["error"] for r in rows]
    assert errors[0] is None and errors[1] is None
    assert errors[2].startswith("invalid JSON")
    assert errors[3] == "null text: 'text' is null"
    assert errors[4] == "not a string: 'text' holds a list"
    assert errors[5] == "null text: no field 'text'"
    assert errors[6] == "not an object: the line holds a JSON list"
    _, rows = read_all([path], options=ReadOptions(text_column="body"))
    assert [r["error"] is None for r in rows] == [False, False, False, False, False, True, False]


def test_jsonl_limit(tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", [{"text": t} for t in make_texts(10)])
    plan, rows = read_all([path], rows_per_block=4, limit=6)
    assert plan.n_rows == 6 and [b.n_rows for b in plan.blocks] == [4, 2]


def test_txt_folder(tmp_path):
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Alpha.", encoding="utf8")
    (folder / "sub" / "b.txt").write_text("Beta.", encoding="utf8")
    (folder / "c.txt").write_bytes(b"caf\xe9")
    (folder / "notes.md").write_text("ignored")
    _, rows = read_all([folder])
    assert [r["id"] for r in rows] == ["texts/a.txt", "texts/c.txt", "texts/sub/b.txt"]
    assert rows[0]["text"] == "Alpha." and rows[2]["text"] == "Beta."
    assert rows[1]["error"].startswith("undecodable bytes")


def make_zip(path: Path, members):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("folder/", "")
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def make_tar(path: Path, members, mode="w"):
    with tarfile.open(path, mode) as archive:
        folder = tarfile.TarInfo("folder")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link.txt")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    return path


MEMBERS = [
    ("one.txt", b"First doc."),
    ("two.txt", b"Second doc."),
    ("three.txt", b"\xff bad"),
    ("four.txt", b"Fourth."),
]


@pytest.mark.parametrize("kind", ["zip", "tar", "tar.gz"])
def test_archives_member_by_member(tmp_path, kind):
    path = tmp_path / f"docs.{kind}"
    if kind == "zip":
        make_zip(path, MEMBERS)
    else:
        make_tar(path, MEMBERS, "w:gz" if kind == "tar.gz" else "w")
    plan, rows = read_all([path], rows_per_block=2)
    names = [r["source"]["member"] for r in rows]
    expected = [name for name, _ in MEMBERS] + ([] if kind == "zip" else ["link.txt"])
    assert names == expected
    assert [r["id"] for r in rows][0] == f"docs.{kind}/one.txt"
    assert rows[1]["text"] == "Second doc." and rows[2]["error"].startswith("undecodable bytes")
    if kind != "zip":
        assert rows[4]["error"].startswith("not a regular file")
    assert not (tmp_path / "one.txt").exists()  # nothing extracted


@pytest.mark.parametrize(
    "make, args",
    [
        (lambda p: p / "missing.parquet", "no such file"),
        (lambda p: (p / "x.csv").write_text("a") and p / "x.csv", "unknown input type"),
        (lambda p: (p / "bad.parquet").write_bytes(b"not parquet") and p / "bad.parquet", "cannot read parquet"),
        (lambda p: (p / "bad.zip").write_bytes(b"not a zip") and p / "bad.zip", "cannot read zip"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "holds no"),
    ],
)
def test_unreadable_inputs_name_the_file(tmp_path, make, args):
    path = make(tmp_path)
    with pytest.raises(UnreadableInputError, match=args) as info:
        plan_blocks(find_sources([path]), OPTIONS, max_rows_per_block=10)
    assert str(path) in str(info.value)


def test_missing_text_column_is_unreadable(tmp_path):
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "b.parquet")
    with pytest.raises(UnreadableInputError, match="no column 'text' .*--text-column"):
        plan_blocks(find_sources([tmp_path / "b.parquet"]), OPTIONS, max_rows_per_block=10)


def test_small_inputs_are_cut_for_every_worker(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [{"text": t} for t in make_texts(40)])
    plan = plan_blocks(find_sources([path]), OPTIONS, max_rows_per_block=1000, workers=2)
    assert len(plan.blocks) == 8 and plan.rows_per_block == 5
    _, rows = read_all([path], rows_per_block=5)
    assert len(rows) == 40
