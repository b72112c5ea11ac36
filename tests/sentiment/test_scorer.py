"""The registered sentiment scorer."""

import spacy
from spacy.training import Example
from spacy.util import registry


def _example(nlp, gold, pred):
    doc = nlp.make_doc("text")
    doc.cats = pred
    return Example.from_dict(doc, {"cats": gold} if gold else {})


def test_accuracy_and_macro_f_ignore_docs_without_gold():
    nlp = spacy.blank("en")
    scorer = registry.scorers.get("spacy-bert-components.sentiment_scorer.v1")()
    pos, neg = {"positive": 1.0, "negative": 0.0}, {"positive": 0.0, "negative": 1.0}
    examples = [
        _example(nlp, pos, {"positive": 0.9, "negative": 0.1}),
        _example(nlp, neg, {"positive": 0.2, "negative": 0.8}),
        _example(nlp, neg, {"positive": 0.7, "negative": 0.3}),
        _example(nlp, None, {"positive": 0.7, "negative": 0.3}),  # another task's doc
    ]
    scores = scorer(examples, labels=["positive", "negative"])
    assert scores["sentiment_acc"] == 2 / 3
    # positive: p 1/2 r 1 f 2/3; negative: p 1 r 1/2 f 2/3
    assert abs(scores["sentiment_macro_f"] - 2 / 3) < 1e-6
    assert scorer([_example(nlp, None, pos)])["sentiment_acc"] is None
