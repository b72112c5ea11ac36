"""The names this package registers: the expected list, the code's
registrations and setup.py's entry points agree both ways, and every
installed entry point resolves."""

from importlib.metadata import distribution

import pytest
from spacy.util import registry

from .registrations import code_registrations, declared_entry_points, registration_mismatches

# (entry-point group, name): every name the package registers, listed here
# so that adding or dropping one is a visible change.
EXPECTED_NAMES = [
    ("spacy_architectures", "spacy-bert-components.AdaptedEncoder.v1"),
    ("spacy_architectures", "spacy-bert-components.Encoder.v1"),
    ("spacy_architectures", "spacy-bert-components.Encoder.v2"),
    ("spacy_architectures", "spacy-bert-components.Listener.v1"),
    ("spacy_architectures", "spacy-bert-components.NERBiLSTMModel.v1"),
    ("spacy_architectures", "spacy-bert-components.NERModel.v1"),
    ("spacy_architectures", "spacy-bert-components.NERModel.v2"),
    ("spacy_architectures", "spacy-bert-components.NERWindowModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SRLBiLSTMModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SRLConvModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SRLModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SRLModel.v3"),
    ("spacy_architectures", "spacy-bert-components.SRLTopLayersModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SentimentModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SentimentModel.v2"),
    ("spacy_architectures", "spacy-bert-components.SentimentPoolingModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SentimentWindowModel.v1"),
    ("spacy_architectures", "spacy-bert-components.SummarizerModel.v1"),
    ("spacy_architectures", "spacy-bert-components.Tok2VecEncoder.v1"),
    ("spacy_callbacks", "spacy-bert-components.init_frozen_encoder.v1"),
    ("spacy_callbacks", "spacy-bert-components.link_sourced_listeners.v1"),
    ("spacy_factories", "bert_ner"),
    ("spacy_factories", "bert_sentiment"),
    ("spacy_factories", "bert_srl"),
    ("spacy_factories", "bert_summarizer"),
    ("spacy_misc", "spacy-bert-components.default_encoder.v1"),
    ("spacy_readers", "spacy-bert-components.MultiTaskCorpus.v1"),
    ("spacy_scorers", "spacy-bert-components.sentiment_scorer.v1"),
    ("spacy_scorers", "spacy-bert-components.srl_scorer.v1"),
    ("spacy_scorers", "spacy-bert-components.summary_scorer.v1"),
    ("spacy_span_getters", "spacy-bert-components.sentence_windows.v1"),
    ("thinc_optimizers", "spacy-bert-components.Adam.v1"),
]

REGISTRY_OF_GROUP = {
    "spacy_architectures": "architectures",
    "spacy_misc": "misc",
    "spacy_scorers": "scorers",
    "spacy_readers": "readers",
    "spacy_callbacks": "callbacks",
    "spacy_span_getters": "span_getters",
    "thinc_optimizers": "optimizers",
}


def _entry_points():
    eps = distribution("spacy-bert-components").entry_points
    return [ep for ep in eps if ep.group in REGISTRY_OF_GROUP or ep.group == "spacy_factories"]


def test_code_registers_the_expected_names():
    assert sorted(code_registrations()) == EXPECTED_NAMES


def test_setup_declares_the_expected_names():
    assert sorted(declared_entry_points()) == EXPECTED_NAMES


def test_entry_points_point_where_the_code_registers():
    assert registration_mismatches(code_registrations(), declared_entry_points()) == []


def test_installed_entry_points_are_setup_pys():
    """The installed metadata is setup.py's as it is now (after editing
    setup.py: `pip install --no-deps -e .` again)."""
    installed = {(ep.group, ep.name): ep.value for ep in _entry_points()}
    assert installed == declared_entry_points()


NER = ("spacy_architectures", "spacy-bert-components.NERWindowModel.v1")
NER_TARGET = "spacy_bert_components.ner.model:build_ner_window_model"
SRL = ("spacy_architectures", "spacy-bert-components.SRLTopLayersModel.v1")
SRL_TARGET = "spacy_bert_components.srl.model:build_srl_top_layers_model"


def test_check_finds_a_name_registered_in_code_only():
    problems = registration_mismatches({NER: NER_TARGET, SRL: SRL_TARGET}, {NER: NER_TARGET})
    assert problems == [
        "spacy_architectures:spacy-bert-components.SRLTopLayersModel.v1 is registered in "
        f"{SRL_TARGET} but setup.py declares no entry point for it"
    ]


def test_check_finds_a_name_declared_in_setup_only():
    problems = registration_mismatches({NER: NER_TARGET}, {NER: NER_TARGET, SRL: SRL_TARGET})
    assert problems == [
        "spacy_architectures:spacy-bert-components.SRLTopLayersModel.v1 is declared in "
        f"setup.py ({SRL_TARGET}) but nothing in the code registers it"
    ]


def test_check_finds_an_entry_point_to_another_function():
    problems = registration_mismatches({NER: NER_TARGET}, {NER: SRL_TARGET})
    assert len(problems) == 1 and "points to" in problems[0]


def test_code_registrations_reads_decorators_and_register_calls(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "model.py").write_text(
        "@registry.architectures('pkg.Model.v1')\n"
        "def build_model(): ...\n"
        "@Language.factory('pkg_pipe', default_config={})\n"
        "def make_pipe(nlp, name): ...\n"
        "@registry.layers('pkg.layer.v1')\n"
        "def build_layer(): ...\n"
        "registry.architectures.register('pkg.OldModel.v1', func=build_model)\n"
    )
    assert code_registrations(package) == {
        ("spacy_architectures", "pkg.Model.v1"): "pkg.sub.model:build_model",
        ("spacy_architectures", "pkg.OldModel.v1"): "pkg.sub.model:build_model",
        ("spacy_factories", "pkg_pipe"): "pkg.sub.model:make_pipe",
        ("(no group for registry.layers)", "pkg.layer.v1"): "pkg.sub.model:build_layer",
    }


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
