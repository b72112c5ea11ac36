"""`--local --workers N`: a pool of N processes on this machine gives the
rows of one process, and a process killed mid-run (SIGKILL, as the OOM killer
does) costs nothing: its pieces are annotated again and every row comes out
once."""

import io
import os
import signal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spacy_bert_components.batch import local_pool
from spacy_bert_components.batch.progress import Progress
from spacy_bert_components.batch.runner import RunSettings, annotate_corpus
from spacy_bert_components.errors import RunFailure

from .conftest import make_texts, write_jsonl

# Spawned processes each load torch and the pipeline: seconds on 2 cores.
pytestmark = pytest.mark.slow
MARKER_ENV = "SPACY_BERT_TEST_DIE_MARKER"


def dies_once(piece: bytes, settings: local_pool.PieceSettings) -> pa.Table:
    """The worker's task, except that the first piece to reach it kills its
    process (the marker file says it happened)."""
    marker = Path(os.environ[MARKER_ENV])
    if not marker.exists():
        marker.write_text(pa.ipc.open_stream(piece).read_all().column("block")[0].as_py())
        os.kill(os.getpid(), signal.SIGKILL)
    return local_pool.annotate_piece(piece, settings)


def always_dies(piece: bytes, settings: local_pool.PieceSettings) -> pa.Table:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def rows_of(output: Path):
    return sorted(pq.read_table(output).to_pylist(), key=lambda row: row["id"])


def quiet(total):
    return Progress(total, stream=io.StringIO(), bar=False)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pool_inputs")
    rows = [{"id": f"d{i:03d}", "text": text} for i, text in enumerate(make_texts(60, seed=4))]
    write_jsonl(root / "in.jsonl", rows + [{"id": "empty", "text": ""}])
    return root / "in.jsonl"


def annotate(inputs, output, model, **settings):
    return annotate_corpus([inputs], output, model=model, settings=RunSettings(local=True, **settings), progress=quiet)


def test_a_pool_of_two_gives_the_rows_of_one_process_even_when_a_process_dies(
    inputs, tiny_pipeline, tmp_path, monkeypatch
):
    one = annotate(inputs, tmp_path / "one", tiny_pipeline, workers=1, rows_per_file=20, batch_size=4)
    assert one.manifest["blocks"]["retried"] == 0
    marker = tmp_path / "died"
    monkeypatch.setenv(MARKER_ENV, str(marker))
    monkeypatch.setattr(local_pool, "annotate_piece", dies_once)
    pool = annotate(inputs, tmp_path / "pool", tiny_pipeline, workers=2, rows_per_file=20, batch_size=4)
    assert marker.exists()
    assert pool.rows_in == pool.rows_out == 61 and pool.errors == 1
    assert pool.manifest["runner"] == dict(one.manifest["runner"], workers=2)
    assert marker.read_text() in pool.manifest["blocks"]["retried_blocks"]
    got, expected = rows_of(tmp_path / "pool"), rows_of(tmp_path / "one")
    assert [row["id"] for row in got] == [row["id"] for row in expected]
    for a, b in zip(got, expected):
        assert (a["ents"], a["error"], a["n_tokens"]) == (b["ents"], b["error"], b["n_tokens"])
        if b["sentiment"] is not None:
            assert a["sentiment"]["label"] == b["sentiment"]["label"]


def test_a_piece_that_kills_every_process_fails_the_run_in_one_line(inputs, tiny_pipeline, tmp_path, monkeypatch):
    monkeypatch.setattr(local_pool, "annotate_piece", always_dies)
    with pytest.raises(RunFailure, match=r"died 3 times .*--batch-size"):
        annotate(inputs, tmp_path / "out", tiny_pipeline, workers=2, rows_per_file=20)
