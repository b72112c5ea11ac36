"""The repository's sample corpus (`corpus/`): one real-text file in each
input format, every file described in its README, and the single copy of the
demo corpus that the package ships."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa

from spacy_bert_components.corpus.blocks import plan_blocks
from spacy_bert_components.corpus.readers import read_block
from spacy_bert_components.corpus.sources import ReadOptions, find_sources
from spacy_bert_components.info import PACKAGED_DEMO_CORPUS, demo_corpus_path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT / "corpus"


def test_one_source_of_every_format_reads_without_errors():
    sources = find_sources([CORPUS])
    assert sorted(s.kind for s in sources) == ["jsonl", "parquet", "tar", "txt", "zip"]
    options = ReadOptions()
    plan = plan_blocks(sources, options, max_rows_per_block=1000, rows_per_block=100, limit=None)
    rows = pa.concat_tables([read_block(block, options) for block in plan.blocks]).to_pylist()
    assert len(rows) == 22
    assert all(row["error"] is None and row["text"].strip() for row in rows)
    assert len({row["id"] for row in rows}) == len(rows)


def test_readme_names_every_file_and_the_corpus_stays_small():
    readme = (CORPUS / "README.md").read_text(encoding="utf8")
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md"]
    for path in files:
        name = path.relative_to(CORPUS).as_posix()
        shown = f"`{path.parent.name}/*.txt`" if path.suffix == ".txt" else f"`{name}`"
        assert shown in readme, f"corpus/README.md does not describe {name}"
    assert sum(p.stat().st_size for p in files) < 300_000


def test_checkout_reads_the_demo_corpus_from_the_sample_corpus():
    # An editable install has no built copy; a wheel has one (test below).
    assert not PACKAGED_DEMO_CORPUS.exists(), f"{PACKAGED_DEMO_CORPUS}: a second copy of corpus/demo.jsonl"
    assert demo_corpus_path() == CORPUS / "demo.jsonl"
    records = [json.loads(line) for line in demo_corpus_path().read_text(encoding="utf8").splitlines()]
    assert len(records) == 12 and all(r["id"] and r["text"] for r in records)


def test_build_puts_the_demo_corpus_into_the_package(tmp_path):
    # `pip wheel` runs the same build_py: what it writes is what the wheel holds.
    cmd = [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)]
    subprocess.run(cmd, cwd=REPO_ROOT, check=True, capture_output=True)
    built = tmp_path / "spacy_bert_components" / "demo_corpus" / "demo.jsonl"
    assert built.read_bytes() == (CORPUS / "demo.jsonl").read_bytes()
