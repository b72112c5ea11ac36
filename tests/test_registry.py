"""Every name this package registers through entry points resolves."""
from importlib.metadata import distribution

import pytest
from spacy.util import registry

REGISTRY_OF_GROUP = {
    "spacy_architectures": "architectures",
    "spacy_misc": "misc",
    "spacy_scorers": "scorers",
    "spacy_readers": "readers",
    "spacy_callbacks": "callbacks",
    "thinc_optimizers": "optimizers",
}


def _entry_points():
    eps = distribution("spacy-bert-components").entry_points
    return [ep for ep in eps if ep.group in REGISTRY_OF_GROUP or ep.group == "spacy_factories"]


def test_entry_points_declared():
    groups = {ep.group for ep in _entry_points()}
    assert "spacy_architectures" in groups
    assert "spacy_misc" in groups


@pytest.mark.parametrize("ep", _entry_points(), ids=lambda ep: f"{ep.group}:{ep.name}")
def test_entry_point_resolves(ep):
    target = ep.load()
    assert callable(target)
    if ep.group == "spacy_factories":
        from spacy.language import Language

        assert Language.has_factory(ep.name)
    else:
        assert registry.get(REGISTRY_OF_GROUP[ep.group], ep.name) is not None


# Alias names -> the name of the same head.
ALIASES = {
    "spacy-bert-components.NERModel.v1": "spacy-bert-components.NERBiLSTMModel.v1",
    "spacy-bert-components.NERModel.v2": "spacy-bert-components.NERWindowModel.v1",
    "spacy-bert-components.SentimentModel.v1": "spacy-bert-components.SentimentPoolingModel.v1",
    "spacy-bert-components.SentimentModel.v2": "spacy-bert-components.SentimentWindowModel.v1",
    "spacy-bert-components.SRLModel.v1": "spacy-bert-components.SRLBiLSTMModel.v1",
    "spacy-bert-components.SRLModel.v3": "spacy-bert-components.SRLConvModel.v1",
}


@pytest.mark.parametrize("old,new", sorted(ALIASES.items()))
def test_earlier_architecture_names_build_the_same_head(old, new):
    assert registry.architectures.get(old) is registry.architectures.get(new)
    declared = {ep.name: ep.value for ep in _entry_points() if ep.group == "spacy_architectures"}
    assert declared[old] == declared[new]
