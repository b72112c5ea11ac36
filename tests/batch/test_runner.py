"""The runner in --local mode: counts, error rows, resume, refusals, the CLI."""

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from spacy_bert_components.batch.model import ModelNotFoundError
from spacy_bert_components.batch.progress import Progress
from spacy_bert_components.batch.runner import RunSettings, annotate_corpus
from spacy_bert_components.cli.main import cli
from spacy_bert_components.errors import UnreadableInputError, UsageError

from .conftest import make_texts, write_jsonl, write_parquet


def rows_of(output: Path):
    table = pq.read_table(output)
    return sorted(table.to_pylist(), key=lambda r: r["id"])


def quiet(total):
    return Progress(total, stream=io.StringIO(), bar=False)


def run(inputs, output, model, **settings):
    settings.setdefault("local", True)
    settings.setdefault("threads", 1)  # torch threads fight other jobs on shared cores
    return annotate_corpus(inputs, output, model=model, settings=RunSettings(**settings), progress=quiet)


def test_local_run_writes_typed_blocks_and_manifest(tmp_path, tiny_pipeline):
    texts = make_texts(30)
    write_parquet(tmp_path / "in.parquet", texts)
    summary = run([tmp_path / "in.parquet"], tmp_path / "out", tiny_pipeline, workers=2)
    assert summary.rows_in == summary.rows_out == 30 and summary.errors == 0 and summary.exit_code == 0
    files = sorted((tmp_path / "out").glob("part-*.parquet"))
    assert len(files) == summary.blocks == 8
    table = pq.read_table(tmp_path / "out")
    assert table.schema.names == ["id", "source", "n_tokens", "ents", "sentiment", "error"]
    assert table.schema.field("ents").type.value_type == pa.struct(
        [("start_char", pa.int32()), ("end_char", pa.int32()), ("label", pa.string()), ("text", pa.string())]
    )
    row = rows_of(tmp_path / "out")[0]
    assert row["sentiment"]["label"] in ("pos", "neg") and row["n_tokens"] > 0
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["rows"] == {"in": 30, "out": 30, "errors": 0}
    assert manifest["model"]["columns"] == ["ents", "sentiment"] and len(manifest["model"]["hash"]) == 64
    assert manifest["inputs"][0]["rows"] == 30 and manifest["timing"]["docs_per_second"] > 0


def test_every_bad_row_is_kept_with_its_own_error(tmp_path, tiny_pipeline):
    lines = [
        json.dumps({"id": "ok", "text": "Anna went to Rome."}),
        json.dumps({"id": "empty", "text": ""}),
        json.dumps({"id": "null", "text": None}),
        json.dumps({"id": "number", "text": 42}),
        json.dumps({"id": "long", "text": "word " * 100}),
        "{broken",
    ]
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "latin1.txt").write_bytes(b"caf\xe9 au lait")
    summary = run([tmp_path / "bad.jsonl", tmp_path / "txt"], tmp_path / "out", tiny_pipeline, max_chars=200)
    assert summary.rows_in == summary.rows_out == 7 and summary.errors == 6 and summary.exit_code == 1
    errors = {row["id"]: row["error"] for row in rows_of(tmp_path / "out")}
    assert errors["ok"] is None
    messages = [errors[key] for key in ("empty", "null", "number", "long", "bad.jsonl:5", "txt/latin1.txt")]
    assert [m.split(":")[0] for m in messages] == [
        "empty text",
        "null text",
        "not a string",
        "too long",
        "invalid JSON",
        "undecodable bytes",
    ]


def test_resume_after_an_interrupted_run_gives_the_same_rows(tmp_path, tiny_pipeline):
    write_jsonl(tmp_path / "in.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(make_texts(40))])
    full = run([tmp_path / "in.jsonl"], tmp_path / "full", tiny_pipeline, workers=2)

    class Crash(Progress):
        def update(self, rows, errors, tokens):
            super().update(rows, errors, tokens)
            if self.counts.blocks == 3:
                raise KeyboardInterrupt  # as if killed after three blocks

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        annotate_corpus(
            [tmp_path / "in.jsonl"],
            out,
            model=tiny_pipeline,
            settings=RunSettings(local=True, workers=2),
            progress=lambda total: Crash(total, stream=io.StringIO(), bar=False),
        )
    assert len(list(out.glob("part-*.parquet"))) == 3
    assert json.loads((out / "_manifest.json").read_text())["status"] == "interrupted"
    (out / ".part-0123456789-000007.parquet.tmp-999").write_bytes(b"half a file")  # killed mid-write
    with pytest.raises(UsageError, match="--resume"):
        run([tmp_path / "in.jsonl"], out, tiny_pipeline, workers=2)
    resumed = run([tmp_path / "in.jsonl"], out, tiny_pipeline, workers=2, resume=True)
    assert resumed.blocks_resumed == 3 and resumed.blocks_written == full.blocks - 3
    assert resumed.rows_out == 40
    assert not list(out.glob(".part-*"))
    assert rows_of(out) == rows_of(tmp_path / "full")
    # Resuming a finished run writes nothing; changed options are refused.
    again = run([tmp_path / "in.jsonl"], out, tiny_pipeline, resume=True)
    assert again.blocks_written == 0 and again.rows_out == 40
    with pytest.raises(UsageError, match="cannot resume"):
        run([tmp_path / "in.jsonl"], out, tiny_pipeline, resume=True, max_chars=10)


def test_archive_members_that_try_to_escape(tmp_path, tiny_pipeline):
    evil = [
        ("../escape.txt", b"Up one level."),
        ("/tmp/absolute-escape.txt", b"Absolute."),
        ("a/../../b.txt", b"Sneaky."),
    ]
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        for name, data in evil:
            archive.writestr(zipfile.ZipInfo(name), data)
    with tarfile.open(tmp_path / "evil.tar.gz", "w:gz") as archive:
        for name, data in evil:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    work = tmp_path / "work"
    work.mkdir()
    (work / "evil.zip").write_bytes((tmp_path / "evil.zip").read_bytes())
    (work / "evil.tar.gz").write_bytes((tmp_path / "evil.tar.gz").read_bytes())
    before = sorted(p for p in tmp_path.rglob("*"))
    out = work / "out"
    summary = run([work / "evil.zip", work / "evil.tar.gz"], out, tiny_pipeline)
    assert summary.rows_out == 6 and summary.errors == 0
    members = sorted(row["source"]["member"] for row in rows_of(out))
    assert members == sorted([name for name, _ in evil] * 2)
    after = sorted(p for p in tmp_path.rglob("*") if out not in p.parents and p != out)
    assert after == before
    assert not Path("/tmp/absolute-escape.txt").exists()
    assert all(p.parent == out for p in out.rglob("*"))


def test_limit_and_bad_usage(tmp_path, tiny_pipeline):
    write_parquet(tmp_path / "in.parquet", make_texts(20))
    summary = run([tmp_path / "in.parquet"], tmp_path / "out", tiny_pipeline, limit=5)
    assert summary.rows_out == 5
    with pytest.raises(UnreadableInputError, match="nope.parquet"):
        run([tmp_path / "nope.parquet"], tmp_path / "o2", tiny_pipeline)
    with pytest.raises(ModelNotFoundError, match="no such pipeline"):
        run([tmp_path / "in.parquet"], tmp_path / "o3", str(tmp_path / "no-model"))
    with pytest.raises(UsageError, match="--batch-size"):
        run([tmp_path / "in.parquet"], tmp_path / "o4", tiny_pipeline, batch_size=0)


def test_cli_exit_codes(tmp_path, tiny_pipeline, monkeypatch):
    write_jsonl(tmp_path / "good.jsonl", [{"text": t} for t in make_texts(6)])
    write_jsonl(tmp_path / "bad.jsonl", [{"text": "Fine."}, {"text": ""}])
    runner = CliRunner()
    args = ["annotate", "--local", "--model", tiny_pipeline, "--output"]
    result = runner.invoke(cli, args + [str(tmp_path / "o1"), str(tmp_path / "good.jsonl")])
    assert result.exit_code == 0, result.output
    assert "6 docs out for 6 in" in result.output and "0 errors" in result.output and "words/s" in result.output
    assert "annotate: 6/6 docs (100.0%)" in result.output  # plain progress lines off a terminal
    result = runner.invoke(cli, args + [str(tmp_path / "o2"), str(tmp_path / "bad.jsonl")])
    assert result.exit_code == 1 and "1 document(s) could not be annotated" in result.output
    result = runner.invoke(cli, args + [str(tmp_path / "o3"), str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "missing.jsonl" in result.output
    result = runner.invoke(cli, ["annotate", "--local", str(tmp_path / "good.jsonl")])
    assert result.exit_code == 2 and "--output" in result.output
    # The default pipeline: a clear message until one is shipped.
    monkeypatch.setattr("spacy_bert_components.info.default_pipeline_path", lambda: None)
    result = runner.invoke(cli, ["annotate", "--local", "-o", str(tmp_path / "o4"), str(tmp_path / "good.jsonl")])
    assert result.exit_code == 2 and "No default pipeline is installed" in result.output


def test_progress_bar_and_plain_lines():
    bar_stream, plain_stream = io.StringIO(), io.StringIO()
    bar = Progress(10, stream=bar_stream, bar=True)
    plain = Progress(10, stream=plain_stream, bar=False, interval=0.0)
    for reporter in (bar, plain):
        reporter.update(4, 1, 20)
        reporter.update(6, 0, 30)
        reporter.close()
    assert "10/10" in bar_stream.getvalue() and "doc/s" in bar_stream.getvalue()
    lines = plain_stream.getvalue().splitlines()
    assert lines[0].startswith("annotate: 4/10 docs (40.0%)") and "docs/s" in lines[0] and "ETA" in lines[0]
    assert lines[-1].startswith("annotate: 10/10 docs (100.0%)") and "1 errors" in lines[-1]


def test_resume_after_sigkill(tmp_path, tiny_pipeline):
    """A real kill: the command runs in its own process, is killed with
    SIGKILL once some blocks are written, and --resume finishes the job with
    the rows of an uninterrupted run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    texts = make_texts(200, seed=3)
    write_jsonl(tmp_path / "in.jsonl", [{"id": f"k{i:03d}", "text": t} for i, t in enumerate(texts)])
    out = tmp_path / "out"
    args = [sys.executable, "-c", "from spacy_bert_components.cli.main import main; main()", "annotate", "--local"]
    args += [
        "--batch-size",
        "1",
        "--threads",
        "1",
        "--rows-per-file",
        "5",
        "--model",
        tiny_pipeline,
        "-o",
        str(out),
        str(tmp_path / "in.jsonl"),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("part-*.parquet")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    written = len(list(out.glob("part-*.parquet")))
    assert 0 < written < 40
    settings = {"batch_size": 1, "rows_per_file": 5, "threads": 1}
    resumed = run([tmp_path / "in.jsonl"], out, tiny_pipeline, resume=True, **settings)
    assert resumed.blocks == 40 and resumed.blocks_resumed >= written and resumed.rows_out == 200
    run([tmp_path / "in.jsonl"], tmp_path / "full", tiny_pipeline, **settings)
    assert rows_of(out) == rows_of(tmp_path / "full")


def test_cli_run_failure_exit_code(tmp_path, tiny_pipeline, monkeypatch):
    write_jsonl(tmp_path / "good.jsonl", [{"text": "Fine."}])

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("spacy_bert_components.batch.local.load_pipeline", broken)
    result = CliRunner().invoke(
        cli, ["annotate", "--local", "--model", tiny_pipeline, "-o", str(tmp_path / "o"), str(tmp_path / "good.jsonl")]
    )
    assert result.exit_code == 3
    assert "the run failed: OSError: disk full" in result.output and "--resume" in result.output
