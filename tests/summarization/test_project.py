"""projects/summarization: its commands read what `spacy project assets`
downloads, and `spacy project run all` works offline on a local copy of the
data (SPACY_BERT_DATA: the fixture files): convert, train (two steps, tiny
BERT), evaluate, package."""

import json

import pytest
import spacy
from spacy.tokens import DocBin

from ..local_data import assert_assets_feed_commands, assert_data_reads_downloads, copy_project, run_project
from .fixtures import SCITLDR_DEV, SCITLDR_TRAIN


def test_assets_feed_the_commands(tmp_path):
    assert_assets_feed_commands(copy_project("summarization", tmp_path))


def test_data_reads_the_downloaded_assets(local_data, tmp_path):
    assert_data_reads_downloads(copy_project("summarization", tmp_path), local_data)


@pytest.mark.slow
def test_project_workflow_on_a_local_copy(tiny_bert, local_data, tmp_path):
    project = copy_project("summarization", tmp_path)
    run_project(
        project,
        "all",
        str(project),
        "--vars.encoder",
        tiny_bert,
        "--vars.limit",
        "5",
        "--vars.max_steps",
        "2",
        "--vars.eval_frequency",
        "1",
        local_data=local_data,
    )
    nlp = spacy.blank("en")
    train = list(DocBin().from_disk(project / "corpus" / "bbc" / "train.spacy").get_docs(nlp.vocab))
    dev = list(DocBin().from_disk(project / "corpus" / "bbc" / "dev.spacy").get_docs(nlp.vocab))
    assert (len(train), len(dev)) == (4, 1)
    scitldr = [len(DocBin().from_disk(project / "corpus" / "scitldr" / f"{split}.spacy")) for split in ("train", "dev")]
    assert scitldr == [len(SCITLDR_TRAIN), len(SCITLDR_DEV)]
    assert (project / "training" / "bbc_frozen" / "model-best").exists()
    metrics = json.loads((project / "metrics" / "bbc_frozen.json").read_text())
    for key in ("summary_rouge1", "summary_rouge2", "summary_rougeL", "summary_lead_rouge1"):
        assert 0.0 <= metrics[key] <= 1.0
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
