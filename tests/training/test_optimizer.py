"""spacy-bert-components.Adam.v1: the encoder trains at its own rate."""

import numpy
import pytest
from spacy.training import Example
from spacy.util import registry

from ..util import blank_with_encoder, listener_config

TRAIN_DATA = [
    ("Angela Merkel visited Paris.", [(0, 13, "PER"), (22, 27, "LOC")]),
    ("John lives in London.", [(0, 4, "PER"), (14, 20, "LOC")]),
]


def _encoder_and_head_params(nlp):
    encoder = nlp.get_pipe("transformer").model.transformer
    encoder_params = {name: p.detach().numpy().copy() for name, p in encoder.named_parameters()}
    head = nlp.get_pipe("ner").model
    head_params = {
        (node.id, name): node.get_param(name).copy()
        for node in head.walk()
        for name in node.param_names
        if node.has_param(name)
    }
    return encoder_params, head_params


def _changed(before: dict, after: dict) -> int:
    return sum(not numpy.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("scale", [0.0, 1.0])
def test_encoder_lr_scale(tiny_bert, scale):
    nlp = blank_with_encoder(tiny_bert)
    nlp.add_pipe(
        "bert_ner",
        name="ner",
        config={"model": {"tok2vec": listener_config(), "hidden_width": 16, "context_width": 16, "feature_width": 8}},
    )
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN_DATA]
    optimizer = registry.resolve(
        {
            "o": {
                "@optimizers": "spacy-bert-components.Adam.v1",
                "learn_rate": 0.01,
                "encoder_lr_scale": scale,
                "use_averages": False,
            }
        }
    )["o"]
    nlp.initialize(lambda: examples, sgd=optimizer)
    before = _encoder_and_head_params(nlp)
    for _ in range(3):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    after = _encoder_and_head_params(nlp)
    assert _changed(before[1], after[1]) > 0  # the head trains either way
    if scale == 0.0:
        assert _changed(before[0], after[0]) == 0
    else:
        assert _changed(before[0], after[0]) > len(before[0]) // 2


def test_negative_scale_is_refused():
    with pytest.raises(ValueError, match="encoder_lr_scale"):
        registry.resolve({"o": {"@optimizers": "spacy-bert-components.Adam.v1", "encoder_lr_scale": -1}})
