"""projects/domain_adaptation: its commands read what `spacy project assets`
downloads; `data` + `text` turn a local copy of CoNLL-2003 and BBC News into
JSON lines, and `pretrain` adapts an encoder on them (the tiny BERT, two
steps). The NER commands are those of ner_conll03's workflow."""

import json

import pytest

from ..local_data import assert_assets_feed_commands, copy_project, run_project


def _copy(tmp_path):
    """The project beside ner_conll03, whose light config it trains."""
    copy_project("ner_conll03", tmp_path)
    return copy_project("domain_adaptation", tmp_path)


def test_assets_feed_the_commands(tmp_path):
    assert_assets_feed_commands(_copy(tmp_path))


@pytest.mark.slow
def test_text_and_pretrain_commands_on_a_local_copy(tiny_bert, local_data, tmp_path):
    project = _copy(tmp_path)
    run_project(project, "data", str(project), local_data=local_data)
    run_project(project, "text", str(project), local_data=None)
    rows = [
        json.loads(line) for path in sorted((project / "corpus" / "pretrain").glob("*.jsonl")) for line in path.open()
    ]
    assert {row["id"].split("/")[0] for row in rows} == {"bbc", "conll03"}
    assert all(row["text"].strip() for row in rows)
    run_project(
        project,
        "pretrain",
        str(project),
        "--vars.base_encoder",
        tiny_bert,
        "--vars.pretrain_steps",
        "2",
        "--vars.pretrain_batch_size",
        "2",
        "--vars.pretrain_warmup_steps",
        "0",
        "--vars.pretrain_eval_fraction",
        "0.5",
        "--vars.precision",
        "fp32",
        local_data=None,
    )
    metrics = json.loads((project / "training" / "adapted_encoder" / "metrics.json").read_text())
    assert metrics["steps"] == 2 and metrics["heldout_mlm_loss_after"] > 0
