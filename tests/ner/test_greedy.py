"""bert_ner's batched greedy decoding takes spaCy's decisions: the same
entities as `EntityRecognizer`'s own loop on the same docs."""

import numpy
import pytest
from spacy.attrs import ENT_IOB, ENT_KB_ID, ENT_TYPE
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Span
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch
from thinc.api import Adam

from spacy_bert_components.ner import greedy

from ..util import blank_with_encoder, listener_config

TRAIN = [
    ("Angela Merkel visited Paris in May.", [(0, 13, "PER"), (22, 27, "LOC")]),
    ("Apple hired Mary Jones in Berlin.", [(0, 5, "ORG"), (12, 22, "PER"), (26, 32, "LOC")]),
    ("The Tour de France ends in the French capital.", [(4, 18, "MISC"), (31, 37, "MISC")]),
]
# Sentence starts, runs of whitespace, one-token and empty docs, long docs.
TEXTS = [
    "",
    "x",
    "Paris",
    "  ",
    "New York\n\nis big.  London is bigger. Berlin!",
    "The Bank of England raised rates. Mary Jones of Apple in Paris said so.",
    " ".join(text for text, _ in TRAIN) * 6,
    "A. B. C. D E F G H I J K L M N O P Q.",
]


def _window_ner(tiny_bert, *, use_upper=False, steps=3):
    """A light NER head (no output layer, as the default pipeline's), barely
    trained: its decisions are near random, so every action gets taken."""
    fix_random_seed(0)
    nlp = blank_with_encoder(tiny_bert, hidden_states=True)
    config = {
        "@architectures": "spacy-bert-components.NERWindowModel.v1",
        "tok2vec": listener_config(mix_layers=True),
        "hidden_width": 16,
        "context_width": 16,
        "feature_width": 8,
        "use_upper": use_upper,
    }
    nlp.add_pipe("bert_ner", name="ner", config={"model": config})
    examples = [Example.from_dict(nlp.make_doc(text), {"entities": ents}) for text, ents in TRAIN]
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer, losses={})
    return nlp


def _encoded(nlp, texts):
    return list(nlp.pipe(texts, disable=["ner"]))


def _annotate(ner, docs, predict, set_annotations, batch_size=4):
    for batch in minibatch(docs, batch_size):
        set_annotations(ner, batch, predict(ner, batch))
    return [doc.to_array([ENT_IOB, ENT_TYPE, ENT_KB_ID]) for doc in docs]


@pytest.fixture(scope="module")
def untrained_nlp(tiny_bert):
    return _window_ner(tiny_bert)


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_same_entities_as_spacys_loop(untrained_nlp, batch_size):
    ner = untrained_nlp.get_pipe("ner")
    assert greedy.supports(ner)
    spacy_arrays = _annotate(
        ner, _encoded(untrained_nlp, TEXTS * 2), EntityRecognizer.predict, EntityRecognizer.set_annotations, batch_size
    )
    docs = _encoded(untrained_nlp, TEXTS * 2)
    arrays = _annotate(ner, docs, type(ner).predict, type(ner).set_annotations, batch_size)
    assert all(numpy.array_equal(a, b) for a, b in zip(spacy_arrays, arrays))
    # Not a vacuous check: the near-random head finds entities of each kind,
    # one-token and longer.
    entities = [ent for doc in docs for ent in doc.ents]
    assert {len(ent) for ent in entities} >= {1, 2}
    assert len({ent.label_ for ent in entities}) >= 3


def test_the_pipeline_predicts_through_the_batched_decoder(untrained_nlp):
    ner = untrained_nlp.get_pipe("ner")
    docs = _encoded(untrained_nlp, TEXTS)
    assert isinstance(ner.predict(docs), greedy.DecodedEntities)
    spacy_arrays = _annotate(ner, docs, EntityRecognizer.predict, EntityRecognizer.set_annotations, 256)
    piped = list(untrained_nlp.pipe(TEXTS))
    assert all(
        numpy.array_equal(a, doc.to_array([ENT_IOB, ENT_TYPE, ENT_KB_ID])) for a, doc in zip(spacy_arrays, piped)
    )


def test_preset_entities_fall_back_to_spacys_loop(untrained_nlp):
    ner = untrained_nlp.get_pipe("ner")
    docs = _encoded(untrained_nlp, TEXTS[4:6])
    docs[1].set_ents([Span(docs[1], 1, 4, label="ORG")], default="unmodified")
    assert greedy.decode(ner, docs) is None
    assert not isinstance(ner.predict(docs), greedy.DecodedEntities)
    ner.set_annotations(docs, ner.predict(docs))
    assert [(e.start, e.end, e.label_) for e in docs[1].ents if e.start == 1] == [(1, 4, "ORG")]


def test_models_outside_the_rules_use_spacys_loop(tiny_bert, untrained_nlp):
    upper_nlp = _window_ner(tiny_bert, use_upper=True, steps=1)
    with_upper = upper_nlp.get_pipe("ner")
    assert not greedy.supports(with_upper)
    assert not isinstance(with_upper.predict(_encoded(upper_nlp, TEXTS[4:5])), greedy.DecodedEntities)
    ner = untrained_nlp.get_pipe("ner")
    ner.model.attrs["unseen_classes"] = {0}
    try:
        assert not greedy.supports(ner)
    finally:
        ner.model.attrs["unseen_classes"] = set()
    ner.cfg["beam_width"] = 4
    try:
        assert not greedy.supports(ner)
    finally:
        ner.cfg["beam_width"] = 1
