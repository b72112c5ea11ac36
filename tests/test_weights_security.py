"""Saved weights are read as weights only: a pipeline whose weights file
carries a pickled callable fails to load without running it.

thinc and spacy-transformers read torch weights with a bare `torch.load`;
from torch 2.6 on that means `weights_only=True`, which is why setup.py
asks for torch >= 2.6. This test fails on an older torch."""

import io
import pickle
from pathlib import Path

import pytest
import spacy
import srsly
import torch

from .summarization.util import summarizer_nlp, toy_examples
from .util import blank_with_encoder


class _Payload:
    """Unpickling this calls `Path.touch` on a marker file: stands in for
    arbitrary code in a tampered weights file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _tamper(model_file: Path, marker: Path) -> None:
    """Replace the torch state of the first shim in a thinc model file with a
    pickle that runs `_Payload` when it is unpickled."""
    msg = srsly.msgpack_loads(model_file.read_bytes())
    for node_shims in msg["shims"]:
        if node_shims:
            shim = srsly.msgpack_loads(node_shims[0])
            payload = io.BytesIO()
            torch.save({"weight": _Payload(marker)}, payload)
            shim["state"] = payload.getvalue()
            node_shims[0] = srsly.msgpack_dumps(shim)
            model_file.write_bytes(srsly.msgpack_dumps(msg))
            return
    raise AssertionError(f"{model_file} holds no torch shim")


def test_payload_runs_under_plain_pickle(tmp_path):
    """The payload is real: plain unpickling (what torch < 2.6 did) runs it."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


@pytest.mark.parametrize("component", ["transformer", "summarizer"])
def test_pickled_callable_in_weights_is_refused(tiny_bert, tmp_path, component):
    if component == "transformer":
        nlp = blank_with_encoder(tiny_bert)
        nlp.initialize()
    else:
        nlp = summarizer_nlp(tiny_bert)
        nlp.initialize(lambda: toy_examples(nlp))
    path = tmp_path / "pipeline"
    nlp.to_disk(path)
    assert spacy.load(path).pipe_names == nlp.pipe_names  # loads untampered
    marker = tmp_path / "ran"
    _tamper(path / component / "model", marker)
    with pytest.raises(pickle.UnpicklingError, match="[Ww]eights only"):
        spacy.load(path)
    assert not marker.exists()
