"""The committed default pipeline: loads offline, and gets obvious cases right.

The sentences are this project's own; they check what any reasonable model
gets right, not benchmark figures.
"""

import pytest

import spacy_bert_components
from spacy_bert_components.info import default_pipeline_path


@pytest.fixture(scope="module")
def nlp():
    assert default_pipeline_path() is not None, "the default pipeline is not in the package"
    return spacy_bert_components.load()


def test_one_transformer_feeds_four_heads(nlp):
    assert nlp.pipe_names == ["sentencizer", "lemmatizer", "transformer", "ner", "sentiment", "srl", "summarizer"]
    listeners = nlp.get_pipe("transformer").listening_components
    assert set(listeners) == {"ner", "sentiment", "srl", "summarizer"}
    assert nlp.config["components"]["transformer"]["model"]["save_weights"] is False


def test_obvious_person_and_city(nlp):
    doc = nlp("Barack Obama flew to Berlin on Tuesday.")
    ents = {(e.text, e.label_) for e in doc.ents}
    assert ("Barack Obama", "PER") in ents
    assert ("Berlin", "LOC") in ents


def test_plain_reviews(nlp):
    good, bad = nlp.pipe(
        [
            "This is a wonderful, moving film with brilliant acting. I loved every minute.",
            "A dull, boring and badly acted mess. The worst film I have seen this year.",
        ]
    )
    assert good.sentiment > 0 and max(good.cats, key=good.cats.get) == "positive"
    assert bad.sentiment < 0 and max(bad.cats, key=bad.cats.get) == "negative"


def test_arguments_of_a_transitive_sentence(nlp):
    doc = nlp("The chef cooked a delicious meal.")
    frames = [f for f in doc._.srl if f.predicate.text == "cooked"]
    assert frames, doc._.srl
    roles = {role: span.text for role, span in frames[0].arguments}
    assert roles.get("ARG0") == "The chef"
    assert roles.get("ARG1") == "a delicious meal"


def test_rolesets_from_lemmas_and_no_argument_less_auxiliaries(nlp):
    text = "She rode her bike to school and had forgotten her keys."
    frames = {f.predicate.text: f for f in nlp(text)._.srl}
    assert frames["rode"].roleset == "ride.01"  # the lemma, not the form
    assert "had" not in frames
    # The head does find the auxiliary (PropBank's have.01, no argument): it
    # is the component's setting that leaves it out.
    with_auxiliaries = spacy_bert_components.load(config={"components": {"srl": {"auxiliary_frames": True}}})
    frames = {f.predicate.text: f for f in with_auxiliaries(text)._.srl}
    assert frames["had"].roleset == "have.01" and not frames["had"].arguments


def test_summary_sentences_come_from_the_document(nlp):
    text = (
        "The city council approved a new budget on Monday. "
        "It raises spending on schools by ten percent. "
        "Parks and libraries also get more money. "
        "The mayor said the plan was balanced. "
        "Opposition members voted against it."
    )
    doc = nlp(text)
    sents = {s.text for s in doc.sents}
    summary = list(doc.spans["summary"])
    assert summary and all(s.text in sents for s in summary)
    assert [s.start for s in summary] == sorted(s.start for s in summary)
    assert doc._.summary


def test_encoder_stage_packs_sentences_and_precision_can_be_chosen(nlp):
    from spacy_bert_components.encoder.model import encoder_precision
    from spacy_bert_components.encoder.precision import native_bf16

    model = nlp.get_pipe("transformer").model
    assert model.attrs["get_spans"].max_wordpieces == 256
    assert encoder_precision(model) == ("bf16" if native_bf16("cpu") else "fp32")
    text = "Barack Obama flew to Berlin on Tuesday. He met the mayor. They talked for an hour."
    doc = nlp(text)
    # Three short sentences: one window, every wordpiece encoded once.
    assert doc._.trf_data.wordpieces.input_ids.shape[0] == 1
    fp32 = spacy_bert_components.load(config={"components.transformer.model.precision": "fp32"})
    assert encoder_precision(fp32.get_pipe("transformer").model) == "fp32"
    assert [(e.text, e.label_) for e in fp32(text).ents] == [(e.text, e.label_) for e in doc.ents]
