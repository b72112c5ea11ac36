"""A pipeline overfit once on the two SRL training sentences, shared by the
SRL tests (training it is the slow part)."""

from pathlib import Path

import pytest
from spacy.language import Language
from spacy.util import fix_random_seed

from ..util import blank_with_encoder
from .util import make_examples, srl_config


@pytest.fixture(scope="session")
def trained(tiny_bert) -> Language:
    # Seeded: from some random starts 120 steps do not fit both sentences.
    fix_random_seed(0)
    nlp = blank_with_encoder(tiny_bert)
    nlp.add_pipe("bert_srl", name="srl", config=srl_config())
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(120):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    return nlp


@pytest.fixture(scope="session")
def srl_model_path(trained, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("srl_model") / "model"
    trained.to_disk(path)
    return path
