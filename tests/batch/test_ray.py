"""The runner on Ray: a local Ray with 2 workers and a 2-node
`ray.cluster_utils.Cluster`, each giving the rows of --local; a worker that
dies is replaced and its block written once."""

import io
import os
import signal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from spacy_bert_components.batch.progress import Progress
from spacy_bert_components.batch.ray_runner import Annotator
from spacy_bert_components.batch.runner import RunSettings, annotate_corpus
from spacy_bert_components.cli.main import cli
from spacy_bert_components.ray_session import quiet_ray_environment

from .conftest import make_texts, write_jsonl, write_parquet

ray = pytest.importorskip("ray")
# Ray clusters are started one at a time: on one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]
TOKEN_FILE = Path.home() / ".ray" / "auth_token"
OBJECT_STORE = 80 * 1024 * 1024


def rows_of(output: Path):
    return sorted(pq.read_table(output).to_pylist(), key=lambda r: r["id"])


def assert_same_rows(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert (a["id"], a["source"], a["n_tokens"], a["ents"], a["error"]) == (
            b["id"],
            b["source"],
            b["n_tokens"],
            b["ents"],
            b["error"],
        )
        if b["sentiment"] is not None:
            assert a["sentiment"]["label"] == b["sentiment"]["label"]
            for pa_, pb in zip(a["sentiment"]["probs"], b["sentiment"]["probs"]):
                assert pa_["label"] == pb["label"] and pa_["prob"] == pytest.approx(pb["prob"], abs=1e-4)


def quiet(total):
    return Progress(total, stream=io.StringIO(), bar=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, tiny_pipeline):
    """RETURNS (Tuple[List[Path], Path]): Inputs of two kinds (one with a bad
    row) and the --local output for them."""
    root = tmp_path_factory.mktemp("ray_corpus")
    texts = make_texts(36, seed=1)
    write_parquet(root / "a.parquet", texts[:24], row_group_size=7)
    write_jsonl(
        root / "b.jsonl",
        [{"id": f"b{i}", "text": t} for i, t in enumerate(texts[24:])] + [{"id": "b-empty", "text": ""}],
    )
    inputs = [root / "a.parquet", root / "b.jsonl"]
    annotate_corpus(
        inputs,
        root / "local",
        model=tiny_pipeline,
        settings=RunSettings(local=True, workers=2, threads=1),
        progress=quiet,
    )
    return inputs, root / "local"


def test_two_workers_same_rows_as_local_even_when_one_dies(local_ray, corpus, tiny_pipeline, tmp_path):
    """One Ray run (they are slow to start on 2 cores) checks both: 2 workers
    give the rows of --local, and a worker process killed mid-block (SIGKILL,
    as the OOM killer does) is replaced, its block annotated again by a new
    worker, written once, and counted as retried in the manifest."""
    inputs, local = corpus
    marker = str(tmp_path / "died")

    class DiesOnce(Annotator):
        def __call__(self, batch):
            if not os.path.exists(marker):
                Path(marker).write_text(batch.column("block")[0].as_py())
                # The block's attempt is counted first, then the process dies.
                super().__call__(batch.slice(0, 1))
                os.kill(os.getpid(), signal.SIGKILL)
            return super().__call__(batch)

    summary = annotate_corpus(
        inputs,
        tmp_path / "ray",
        model=tiny_pipeline,
        settings=RunSettings(workers=2),
        progress=quiet,
        annotator=DiesOnce,
    )
    assert Path(marker).exists()
    assert summary.rows_in == summary.rows_out == 37 and summary.errors == 1
    assert summary.manifest["runner"]["mode"] == "ray" and summary.blocks == 8
    assert len(list((tmp_path / "ray").glob("part-*.parquet"))) == 8
    blocks = summary.manifest["blocks"]
    assert blocks["retried"] == 1 and blocks["retried_blocks"] == [Path(marker).read_text()]
    assert_same_rows(rows_of(tmp_path / "ray"), rows_of(local))


@pytest.fixture
def two_node_cluster():
    from ray.cluster_utils import Cluster

    had_token = TOKEN_FILE.exists()
    quiet_ray_environment(local_cluster=True)
    node_args = {"num_cpus": 1, "object_store_memory": OBJECT_STORE, "include_dashboard": False}
    cluster = Cluster(initialize_head=True, head_node_args=dict(node_args))
    cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
    yield cluster
    cluster.shutdown()
    assert TOKEN_FILE.exists() == had_token


def test_cli_on_a_two_node_cluster(two_node_cluster, corpus, tiny_pipeline, tmp_path):
    """`--address`: the command joins an existing cluster (here two nodes on
    this machine, one worker each) and leaves it running."""
    inputs, local = corpus
    address = two_node_cluster.address
    result = CliRunner().invoke(
        cli,
        ["annotate", "--address", address, "--workers", "2", "--model", tiny_pipeline, "-o", str(tmp_path / "cli")]
        + [str(p) for p in inputs],
    )
    assert result.exit_code == 1, result.output
    assert "37 docs out for 37 in" in result.output and "1 document(s) could not be annotated" in result.output
    assert_same_rows(rows_of(tmp_path / "cli"), rows_of(local))
    assert not ray.is_initialized()  # the command disconnected...
    assert len(two_node_cluster.list_all_nodes()) == 2  # ...and left the cluster running
