"""bert_sentiment: exclusive classes per sentence, combined per document."""

import pickle

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from thinc.api import Adam

from spacy_bert_components.errors import MissingUpstreamError

from ..util import blank_with_encoder, listener_config

TRAIN_DATA = [
    ("The film was wonderful and moving.", "positive"),
    ("I loved it, a great story.", "positive"),
    ("The plot is dull and the acting awful.", "negative"),
    ("A boring, terrible mess.", "negative"),
]
LONG_TEXT = " ".join(["The film was wonderful and moving."] * 40 + ["A boring, terrible mess."] * 5)


def _cats(label):
    return {"positive": float(label == "positive"), "negative": float(label == "negative")}


def _examples(nlp):
    return [Example.from_dict(nlp.make_doc(text), {"cats": _cats(label)}) for text, label in TRAIN_DATA]


def _train(nlp, n_iter=30):
    examples = _examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01)
    for _ in range(n_iter):
        nlp.update(examples, sgd=optimizer, drop=0.0, losses={})
    return nlp


def _annotations(doc):
    return (
        {k: round(v, 4) for k, v in doc.cats.items()},
        round(doc.sentiment, 4),
        [(s.start, s.end, round(s._.sentiment, 4)) for s in doc.spans["sentiment"]],
    )


@pytest.fixture(scope="module")
def trained_nlp(tiny_bert):
    nlp = blank_with_encoder(tiny_bert, hidden_states=True)
    config = {"model": {"tok2vec": listener_config(mix_layers=True), "lstm_depth": 1, "context_width": 16}}
    nlp.add_pipe("bert_sentiment", name="sentiment", config=config)
    return _train(nlp)


def test_overfits_and_scores(trained_nlp):
    for text, label in TRAIN_DATA:
        doc = trained_nlp(text)
        assert max(doc.cats, key=doc.cats.get) == label
        assert (doc.sentiment > 0) == (label == "positive")
        assert -1.0 <= doc.sentiment <= 1.0
    scores = trained_nlp.evaluate(_examples(trained_nlp))
    assert scores["sentiment_acc"] == 1.0
    assert scores["sentiment_macro_f"] == 1.0


def test_sentences_scored_and_combined(trained_nlp):
    doc = trained_nlp("The film was wonderful and moving. A boring, terrible mess.")
    first, second = doc.sents
    for span in doc.spans["sentiment"]:
        assert span.label_ == ("positive" if span._.sentiment > 0 else "negative")
    # The document is the length-weighted mean of its sentences.
    weights = [len(first) / len(doc), len(second) / len(doc)]
    expected = weights[0] * first._.sentiment + weights[1] * second._.sentiment
    assert doc.sentiment == pytest.approx(expected, abs=1e-5)
    assert doc._.sentiment == pytest.approx(doc.sentiment, abs=1e-5)
    # Any span: the token-weighted mean of the sentences it overlaps.
    assert doc[0:2]._.sentiment == pytest.approx(first._.sentiment)


def test_longer_than_the_encoder_window(trained_nlp):
    doc = trained_nlp(LONG_TEXT)
    assert len(list(doc.sents)) == 45 and len(doc) > 300
    assert -1.0 <= doc.sentiment <= 1.0
    assert len(doc.spans["sentiment"]) == 45


def test_round_trips(trained_nlp, tmp_path):
    texts = [text for text, _ in TRAIN_DATA] + [LONG_TEXT[:300]]
    expected = [_annotations(doc) for doc in trained_nlp.pipe(texts)]
    trained_nlp.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    docs = list(loaded.pipe(texts))
    assert [_annotations(doc) for doc in docs] == expected
    unpickled = pickle.loads(pickle.dumps(loaded))
    assert [_annotations(doc) for doc in unpickled.pipe(texts)] == expected
    assert [_annotations(pickle.loads(pickle.dumps(doc))) for doc in docs] == expected
    assert _annotations(Doc(loaded.vocab).from_bytes(docs[0].to_bytes())) == expected[0]
    # DocBin keeps cats and span groups, not the built-in doc.sentiment: the
    # stored document score is read back through doc._.sentiment.
    restored = list(DocBin(docs=docs).get_docs(loaded.vocab))
    for doc, (cats, sentiment, sents) in zip(restored, expected):
        assert _annotations(doc)[0] == cats and _annotations(doc)[2] == sents
        assert round(doc._.sentiment, 4) == sentiment


def test_batch_sizes_agree(trained_nlp):
    texts = [text for text, _ in TRAIN_DATA] * 3 + ["", "Great"]
    one = [_annotations(doc) for doc in trained_nlp.pipe(texts, batch_size=1)]
    eight = [_annotations(doc) for doc in trained_nlp.pipe(texts, batch_size=8)]
    # Equal up to float noise: padding differs with the batch.
    for (cats1, score1, sents1), (cats8, score8, sents8) in zip(one, eight):
        assert cats1 == pytest.approx(cats8, abs=1e-3)
        assert score1 == pytest.approx(score8, abs=1e-3)
        assert [s[:2] for s in sents1] == [s[:2] for s in sents8]
        assert [s[2] for s in sents1] == pytest.approx([s[2] for s in sents8], abs=1e-3)


@pytest.mark.parametrize("text", ["", "Great"])
def test_empty_and_one_token_docs(trained_nlp, text):
    doc = trained_nlp(text)
    assert set(doc.cats) == {"positive", "negative"}
    assert sum(doc.cats.values()) == pytest.approx(1.0, abs=1e-5)
    if not text:
        assert doc.sentiment == 0.0 and len(doc.spans["sentiment"]) == 0


def test_doc_without_cats_gives_no_loss(trained_nlp):
    gold = trained_nlp.make_doc("A sentence from another data set.")
    doc = trained_nlp.get_pipe("transformer")(gold.copy())
    losses = {}
    trained_nlp.get_pipe("sentiment").update([Example(doc, gold)], losses=losses)
    assert losses["sentiment"] == 0.0


def test_refuses_to_overwrite_others_span_group(trained_nlp):
    doc = trained_nlp.make_doc("Good.")
    doc.spans["sentiment"] = [doc[0:1]]
    with pytest.raises(ValueError, match="spans_key"):
        trained_nlp(doc)


def test_uninitialized_raises(tiny_bert):
    nlp = blank_with_encoder(tiny_bert, hidden_states=True)
    nlp.add_pipe("bert_sentiment", config={"model": {"tok2vec": listener_config(mix_layers=True)}})
    nlp.get_pipe("transformer").initialize(lambda: [], nlp=nlp)
    with pytest.raises(ValueError, match="E143"):
        nlp("Good film.")


def test_listener_without_transformer_says_what_to_add():
    nlp = spacy.blank("en")
    nlp.add_pipe("bert_sentiment", config={"model": {"tok2vec": listener_config()}})
    with pytest.raises(MissingUpstreamError, match="transformer"):
        _train(nlp, n_iter=1)


def test_standalone_owns_its_encoder(tiny_bert):
    nlp = spacy.blank("en")
    nlp.add_pipe("bert_sentiment", config={"model": {"tok2vec": {"name": tiny_bert}}})
    _train(nlp, n_iter=2)
    doc = nlp("A good film.")
    assert set(doc.cats) == {"positive", "negative"}
    assert "transformer" not in nlp.pipe_names


def test_light_window_head_overfits_and_round_trips(tiny_bert, tmp_path):
    """SentimentWindowModel.v1: window layers instead of the BiLSTM."""
    nlp = blank_with_encoder(tiny_bert, hidden_states=True)
    model = {
        "@architectures": "spacy-bert-components.SentimentWindowModel.v1",
        "tok2vec": listener_config(mix_layers=True),
        "context_width": 16,
        "hidden_width": 16,
    }
    nlp.add_pipe("bert_sentiment", name="sentiment", config={"model": model})
    _train(nlp)
    texts = [text for text, _ in TRAIN_DATA]
    assert [max(d.cats, key=d.cats.get) for d in nlp.pipe(texts)] == [label for _, label in TRAIN_DATA]
    expected = [_annotations(d) for d in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "nlp")
    assert [_annotations(d) for d in spacy.load(tmp_path / "nlp").pipe(texts, batch_size=1)] == expected
