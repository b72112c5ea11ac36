"""projects/srl_up_english: its commands read what `spacy project assets`
downloads, and the workflows work offline on a local copy of the data
(SPACY_BERT_DATA: the fixture files): `all` (convert the PropBank EWT
training documents and the UP dev file, train two steps of the frozen config
on a tiny BERT, evaluate, package), the two configs that start from the
trained frozen head (`continue` and the fine-tuned config) and `distil`."""

import json

import pytest
import spacy
from spacy.tokens import DocBin

from ..local_data import assert_assets_feed_commands, assert_data_reads_downloads, copy_project, run_project
from .fixtures import DEV_DOCS, TRAIN_DOCS, n_sentences

DATA_COMMANDS = ("data", "data-unlabelled")


def test_assets_feed_the_commands(tmp_path):
    assert_assets_feed_commands(copy_project("srl_up_english", tmp_path), data_commands=DATA_COMMANDS)


def test_data_reads_the_downloaded_assets(local_data, tmp_path):
    assert_data_reads_downloads(copy_project("srl_up_english", tmp_path), local_data, DATA_COMMANDS, extra=True)


@pytest.mark.slow
def test_project_workflow_on_a_local_copy(tiny_bert, local_data, tmp_path):
    project = copy_project("srl_up_english", tmp_path)
    common = ["--vars.encoder", tiny_bert, "--vars.max_steps", "2", "--vars.eval_frequency", "1"]
    run_project(project, "all", str(project), *common, "--vars.limit", "3", local_data=local_data)
    nlp = spacy.blank("en")
    train = list(DocBin().from_disk(project / "corpus" / "propbank" / "train.spacy").get_docs(nlp.vocab))
    dev = list(DocBin().from_disk(project / "corpus" / "dev.spacy").get_docs(nlp.vocab))
    assert (len(train), len(dev)) == (n_sentences(TRAIN_DOCS), n_sentences(DEV_DOCS))
    assert (project / "training" / "frozen" / "model-best").exists()
    metrics = json.loads((project / "metrics" / "frozen.json").read_text())
    all_frames = json.loads((project / "metrics" / "frozen_all_frames.json").read_text())
    for key in ("srl_p", "srl_r", "srl_f", "srl_head_f", "srl_predicate_f", "srl_sense_acc"):
        assert 0.0 <= metrics[key] <= 100.0
        assert 0.0 <= all_frames[key] <= 1.0
    # Auxiliary frames have no argument: the argument scores cannot differ.
    assert abs(all_frames["srl_f"] * 100 - metrics["srl_f"]) < 1e-6
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
    # The sourced frozen head trains further: on the frozen encoder
    # (`continue`) and on the fine-tuned one; both link its listener to a
    # transformer of their own, or their first update fails.
    run_project(project, "continue", str(project), *common, "--vars.continue_steps", "2", local_data=local_data)
    run_project(project, "train", str(project), *common, "--vars.config", "finetuned", local_data=local_data)
    # The predicate-aware head copies the (tiny) encoder's top layers.
    run_project(project, "train", str(project), *common, "--vars.config", "top_layers", local_data=local_data)
    frozen_labels = spacy.load(project / "training" / "frozen" / "model-best").get_pipe("srl").labels
    for trained in ("frozen_continued", "finetuned", "top_layers"):
        nlp = spacy.load(project / "training" / trained / "model-best")
        assert nlp.get_pipe("srl").labels == frozen_labels
        nlp("The man rode his bicycle to work.")
    # Distillation: the trained pipeline labels a few hundred words of other
    # training text, and the light head trains on that plus the gold.
    run_project(
        project,
        "distil",
        str(project),
        *common[:2],
        "--vars.silver_words",
        "300",
        "--vars.distil_steps",
        "2",
        local_data=local_data,
    )
    assert sorted(p.name for p in (project / "corpus" / "silver").iterdir()) == [
        "gold1.spacy",
        "gold2.spacy",
        "silver.spacy",
    ]
    assert "srl_f" in json.loads((project / "metrics" / "light_distil.json").read_text())
