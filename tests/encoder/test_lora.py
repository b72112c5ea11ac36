"""Low-rank adapters on the shared encoder: train, save small, load equal."""

import numpy
import pytest
import spacy
from spacy.training import Example

from ..util import listener_config

TEXTCAT = {
    "@architectures": "spacy.TextCatReduce.v1",
    "exclusive_classes": True,
    "use_reduce_first": False,
    "use_reduce_last": False,
    "use_reduce_max": False,
    "use_reduce_mean": True,
}


def _adapted_nlp(tiny_bert, save_weights=False):
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "transformer",
        config={
            "model": {
                "@architectures": "spacy-bert-components.AdaptedEncoder.v1",
                "name": tiny_bert,
                "lora_rank": 2,
                "save_weights": save_weights,
            }
        },
    )
    nlp.add_pipe("textcat", config={"model": {**TEXTCAT, "tok2vec": listener_config()}})
    return nlp


def _train(nlp, steps=4):
    examples = [
        Example.from_dict(nlp.make_doc("good great lovely"), {"cats": {"POS": 1.0, "NEG": 0.0}}),
        Example.from_dict(nlp.make_doc("bad awful dull"), {"cats": {"POS": 0.0, "NEG": 1.0}}),
    ]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer)


def _vectors(nlp, text="good great lovely"):
    return nlp(text)._.trf_data.model_output.last_hidden_state


def _plain(tiny_bert):
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "transformer", config={"model": {"@architectures": "spacy-bert-components.Encoder.v1", "name": tiny_bert}}
    )
    nlp.initialize()
    return nlp


def test_adapters_start_as_the_packaged_encoder(tiny_encoder):
    nlp = _adapted_nlp(tiny_encoder)
    nlp.initialize(
        lambda: [
            Example.from_dict(nlp.make_doc("good"), {"cats": {"POS": 1.0, "NEG": 0.0}}),
            Example.from_dict(nlp.make_doc("bad"), {"cats": {"POS": 0.0, "NEG": 1.0}}),
        ]
    )
    numpy.testing.assert_allclose(_vectors(nlp), _vectors(_plain(tiny_encoder)), atol=1e-5)


def test_only_adapters_train(tiny_encoder):
    nlp = _adapted_nlp(tiny_encoder)
    _train(nlp, steps=0)
    hf = nlp.get_pipe("transformer").model.transformer
    base_before = {k: v.clone() for k, v in hf.state_dict().items() if ".lora_" not in k}
    lora_before = {k: v.clone() for k, v in hf.state_dict().items() if ".lora_B" in k}
    optimizer = nlp.resume_training()
    examples = [Example.from_dict(nlp.make_doc("good great lovely"), {"cats": {"POS": 1.0, "NEG": 0.0}})]
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    after = hf.state_dict()
    assert all((after[k] == v).all() for k, v in base_before.items())
    assert any(not (after[k] == v).all() for k, v in lora_before.items())
    # The attention's query and value projections are adapted, whatever
    # the architecture calls them.
    assert sum(".lora_B" in k and any(t in k for t in ("query", "value", "attn.q", "attn.v")) for k in after) == 4


@pytest.mark.parametrize("save_weights", [False, True])
def test_adapted_pipeline_round_trips(tiny_encoder, tmp_path, save_weights):
    nlp = _adapted_nlp(tiny_encoder, save_weights=save_weights)
    _train(nlp)
    before = _vectors(nlp)
    assert not numpy.allclose(before, _vectors(_plain(tiny_encoder)), atol=1e-6)
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    numpy.testing.assert_allclose(_vectors(loaded), before, atol=1e-5)
    size = (tmp_path / "p" / "transformer" / "model").stat().st_size
    hf = nlp.get_pipe("transformer").model.transformer
    base_bytes = 4 * sum(p.numel() for n, p in hf.named_parameters() if ".lora_" not in n)
    if save_weights:  # a plain BERT with the adapters folded in
        assert size > base_bytes
    else:  # a reference and the adapters
        assert size < base_bytes / 2
