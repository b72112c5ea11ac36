"""Pre-training in the process on the tiny BERT: the held-out loss falls, a
killed run resumed from its last checkpoint ends where an uninterrupted one
does, the output loads as an encoder, bad input is a one-line error."""

import json

import numpy
import pytest
import torch
from click.testing import CliRunner

from spacy_bert_components.cli.main import cli
from spacy_bert_components.pretrain.checkpoints import complete_checkpoints, read_state
from spacy_bert_components.pretrain.runner import pretrain_encoder

from .conftest import TOY_TEXT, Quiet, small_settings, write_jsonl


class Killed(Exception):
    pass


def dies_after(step_to_die: int):
    """A progress reporter that raises after `step_to_die` steps: the run
    stops there as if killed (its last checkpoint is older)."""

    class Dies(Quiet):
        def update(self, step, loss):
            if step == step_to_die:
                raise Killed()

    return Dies


def weights(path):
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


@pytest.fixture(scope="module")
def uninterrupted(tiny_bert, toy_corpus, tmp_path_factory):
    output = tmp_path_factory.mktemp("uninterrupted") / "out"
    metrics = pretrain_encoder([toy_corpus], output, encoder=tiny_bert, settings=small_settings(), progress=Quiet)
    return output, metrics


def test_a_few_steps_lower_the_heldout_loss(uninterrupted):
    output, metrics = uninterrupted
    assert metrics["steps"] == 6 and metrics["new_head"] is True
    assert metrics["heldout_mlm_loss_after"] < metrics["heldout_mlm_loss_before"] - 0.3
    assert metrics["tokens_per_s"] > 0
    assert json.loads((output / "metrics.json").read_text()) == metrics
    # keep_checkpoints = 2: steps 4 and 6 remain
    assert [read_state(p)["step"] for p in complete_checkpoints(output)] == [4, 6]


def test_killed_run_resumes_from_last_checkpoint_to_the_same_weights(uninterrupted, tiny_bert, toy_corpus, tmp_path):
    expected_output, expected = uninterrupted
    output = tmp_path / "out"
    with pytest.raises(Killed):
        pretrain_encoder([toy_corpus], output, encoder=tiny_bert, settings=small_settings(), progress=dies_after(5))
    assert read_state(complete_checkpoints(output)[-1])["step"] == 4
    assert not (output / "metrics.json").exists()
    reporter = {}

    def recording(total, *, start=0):
        reporter["start"] = start
        reporter["quiet"] = Quiet(total, start=start)
        return reporter["quiet"]

    metrics = pretrain_encoder(
        [toy_corpus], output, encoder=tiny_bert, settings=small_settings(), resume=True, progress=recording
    )
    assert reporter["start"] == 4 and reporter["quiet"].steps == [5, 6]
    assert metrics["steps"] == 6
    assert metrics["heldout_mlm_loss_before"] == expected["heldout_mlm_loss_before"]
    assert metrics["heldout_mlm_loss_after"] == pytest.approx(expected["heldout_mlm_loss_after"], abs=1e-4)
    got, want = weights(output), weights(expected_output)
    assert got.keys() == want.keys()
    for key in want:
        assert torch.allclose(got[key], want[key], atol=1e-6), key


def test_output_loads_as_the_encoder_of_a_pipeline(uninterrupted, tiny_bert):
    import spacy
    from transformers import AutoModel, BertForMaskedLM

    output, _ = uninterrupted
    assert type(AutoModel.from_pretrained(str(output))).__name__ == "BertModel"
    assert BertForMaskedLM.from_pretrained(str(output), output_loading_info=True)[1]["missing_keys"] == []

    def last_layer(name):
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe(
            "transformer", config={"model": {"@architectures": "spacy-bert-components.Encoder.v2", "name": name}}
        )
        nlp.initialize()
        return nlp(TOY_TEXT)._.trf_data.model_output.last_hidden_state

    adapted = last_layer(str(output))
    assert adapted.shape[-1] == 32
    # The adapted weights, not the tiny BERT's.
    assert not numpy.allclose(adapted, last_layer(tiny_bert), atol=1e-3)


def run_cli(*args):
    return CliRunner().invoke(cli, ["pretrain", *map(str, args)])


def test_cli_trains_and_refuses_a_used_output_without_resume(tiny_bert, toy_corpus, tmp_path):
    common = [
        toy_corpus,
        "--encoder",
        tiny_bert,
        "--max-steps",
        2,
        "--batch-size",
        2,
        "--seq-len",
        16,
        "--eval-fraction",
        0.1,
        "--threads",
        1,
    ]
    result = run_cli(*common, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "2 steps" in result.output
    again = run_cli(*common, "-o", tmp_path / "out")
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = run_cli(*common, "--max-steps", 3, "--resume", "-o", tmp_path / "out")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["steps"] == 3


@pytest.mark.parametrize(
    "records,options,message",
    [
        ([{"id": str(i), "body": TOY_TEXT} for i in range(50)], [], "--text-column"),
        ([], [], "no rows"),
        ([{"id": str(i), "text": "  "} for i in range(50)], [], "no text to train on"),
        ([{"id": "a", "text": TOY_TEXT}], [], "--eval-fraction"),
        ([{"id": str(i), "text": TOY_TEXT} for i in range(50)], ["--seq-len", 2], "--seq-len"),
    ],
)
def test_bad_input_is_a_one_line_error(records, options, message, tiny_bert, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", records)
    result = run_cli(path, "-o", tmp_path / "out", "--encoder", tiny_bert, "--max-steps", 1, *options)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.output
