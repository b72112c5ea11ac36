"""projects/ner_conll03: its commands read what `spacy project assets`
downloads, and `spacy project run all` works offline on a local copy of the
data (SPACY_BERT_DATA: the fixture files)."""

import pytest
import spacy
from thinc.api import Config

from ..local_data import assert_assets_feed_commands, assert_data_reads_downloads, copy_project, run_project


def test_assets_feed_the_commands(tmp_path):
    assert_assets_feed_commands(copy_project("ner_conll03", tmp_path))


def test_data_reads_the_downloaded_assets(local_data, tmp_path):
    assert_data_reads_downloads(copy_project("ner_conll03", tmp_path), local_data)


@pytest.mark.slow
def test_project_workflow_on_a_local_copy(tiny_bert, local_data, tmp_path):
    project = copy_project("ner_conll03", tmp_path)
    # The frozen config, cut down to two steps of a small head.
    config = Config().from_disk(project / "configs" / "frozen.cfg", interpolate=False)
    config["training"].update({"max_steps": 2, "eval_frequency": 1})
    config["components"]["ner"]["model"].update({"context_width": 16, "hidden_width": 16})
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
        "2",
        local_data=local_data,
    )
    copied = project / "assets" / "ner" / "conll2003" / "train.iob"
    assert (
        not copied.is_symlink() and copied.read_bytes() == (local_data / "ner" / "conll2003" / "train.iob").read_bytes()
    )
    metrics = (project / "metrics" / "smoke.json").read_text()
    assert '"ents_f"' in metrics
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
    nlp = spacy.load(project / "training" / "smoke" / "model-best")
    assert nlp.pipe_names == ["sentencizer", "transformer", "ner"]
    assert nlp.get_pipe("ner").labels  # learned from the converted fixture documents
