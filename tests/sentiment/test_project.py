"""projects/sentiment_sst2: its commands read what `spacy project assets`
downloads, and `spacy project run all` and `distil` work offline on a local
copy of the data (SPACY_BERT_DATA: the fixture files)."""

import pytest
import spacy
from spacy.tokens import DocBin
from thinc.api import Config

from ..local_data import assert_assets_feed_commands, assert_data_reads_downloads, copy_project, run_project


def test_assets_feed_the_commands(tmp_path):
    # The distil workflow's teacher is the pipeline `train` makes with its config.
    assert_assets_feed_commands(copy_project("sentiment_sst2", tmp_path), overrides={"vars.config": "finetuned"})


def test_data_reads_the_downloaded_assets(local_data, tmp_path):
    assert_data_reads_downloads(copy_project("sentiment_sst2", tmp_path), local_data)


@pytest.mark.slow
def test_project_workflow_on_a_local_copy(tiny_bert, local_data, tmp_path):
    project = copy_project("sentiment_sst2", tmp_path)
    # The frozen config, cut down to two steps of a small head.
    config = Config().from_disk(project / "configs" / "frozen.cfg", interpolate=False)
    config["training"].update({"max_steps": 2, "eval_frequency": 1})
    config["components"]["sentiment"]["model"].update({"context_width": 16})
    config.to_disk(project / "configs" / "smoke.cfg", interpolate=False)
    run_project(
        project,
        "all",
        str(project),
        "--vars.config",
        "smoke",
        "--vars.encoder",
        tiny_bert,
        "--vars.limit",
        "8",
        local_data=local_data,
    )
    metrics = (project / "metrics" / "smoke.json").read_text()
    assert '"sentiment_acc"' in metrics
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
    nlp = spacy.load(project / "training" / "smoke" / "model-best")
    assert nlp.pipe_names == ["sentencizer", "transformer", "sentiment"]
    assert set(nlp("A good film.").cats) == {"positive", "negative"}
    # Distillation: the trained pipeline teaches a second head its probabilities.
    run_project(
        project,
        "distil",
        str(project),
        "--vars.encoder",
        tiny_bert,
        "--vars.teacher",
        "smoke",
        "--vars.student",
        "smoke",
        local_data=local_data,
    )
    assert sorted(p.name for p in (project / "corpus" / "distil").iterdir()) == ["gold.spacy", "teacher.spacy"]
    assert '"sentiment_acc"' in (project / "metrics" / "smoke_distil.json").read_text()
    silver = list(DocBin().from_disk(project / "corpus" / "distil" / "teacher.spacy").get_docs(nlp.vocab))
    assert silver and all(0.0 < doc.cats["positive"] < 1.0 for doc in silver)
