"""Two Ray Train workers on a local Ray: data-parallel over gloo, to the end,
with one checkpoint written by rank 0 and the output of a --local run's
shape."""

import os
from pathlib import Path

import pytest

from spacy_bert_components.pretrain.checkpoints import complete_checkpoints, read_state
from spacy_bert_components.pretrain.runner import Placement, pretrain_encoder

from .conftest import Quiet, small_settings

ray = pytest.importorskip("ray")
pytest.importorskip("ray.train.torch")
# Ray clusters are started one at a time: on one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]


def test_two_ray_train_workers_run_to_the_end_and_write_one_checkpoint(
    local_ray, tiny_bert, toy_corpus, tmp_path, monkeypatch
):
    # Relative INPUT and --output: the workers run in a folder of their own.
    monkeypatch.chdir(tmp_path)
    corpus, output = Path(os.path.relpath(toy_corpus, tmp_path)), Path("out")
    reporter = {}

    def recording(total, *, start=0):
        reporter["quiet"] = Quiet(total, start=start)
        return reporter["quiet"]

    # 0.5 CPU each: two workers and Ray Train's controller fit on 2 cores.
    placement = Placement(workers=2, cpus_per_worker=0.5)
    settings = small_settings(max_steps=3, checkpoint_every=0)
    metrics = pretrain_encoder(
        [corpus], output, encoder=tiny_bert, settings=settings, placement=placement, progress=recording
    )
    assert metrics["steps"] == 3 and metrics["workers"] == 2
    assert metrics["heldout_mlm_loss_after"] < metrics["heldout_mlm_loss_before"]
    checkpoints = complete_checkpoints(output)
    assert len(checkpoints) == 1
    state = read_state(checkpoints[0])
    assert state["step"] == 3 and state["world_size"] == 2
    assert (output / "model.safetensors").exists() and (output / "tokenizer.json").exists()
    assert reporter["quiet"].steps and reporter["quiet"].steps[-1] == 3
