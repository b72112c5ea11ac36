import pytest
import spacy
from spacy.tokens import SpanGroup
from spacy.training import Example

from spacy_bert_components.summarization.gold import set_gold
from spacy_bert_components.summarization.scorer import make_summary_scorer_v1


def _example(summary_idx, ref_idx, refs=True):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    text = "Stocks fell sharply today. Rain is expected tomorrow. The cat sat on the mat. Fans cheered loudly."
    ref = nlp(text)
    sents = list(ref.sents)
    if refs:
        set_gold(ref, ref_idx, ["\n".join(sents[i].text for i in ref_idx)])
    pred = nlp(text)
    psents = list(pred.sents)
    pred.spans["summary"] = SpanGroup(pred, name="summary", spans=[psents[i] for i in summary_idx])
    return Example(pred, ref)


def test_scorer_perfect_and_lead():
    score = make_summary_scorer_v1(lead_k=1)
    scores = score([_example([2, 3], [2, 3])])
    assert scores["summary_rouge1"] == pytest.approx(1.0)
    assert scores["summary_rougeL"] == pytest.approx(1.0)
    assert scores["summary_lead_rouge1"] == pytest.approx(0.0)
    assert scores["summary_lead_matched_rouge1"] < 1.0
    scores = score([_example([0], [0, 1])])
    assert 0 < scores["summary_rouge1"] < 1
    assert scores["summary_lead_rouge1"] == pytest.approx(scores["summary_rouge1"])


def test_scorer_skips_docs_without_references():
    score = make_summary_scorer_v1()
    assert score([_example([0], [0], refs=False)])["summary_rouge1"] is None
    both = score([_example([0], [0], refs=False), _example([2, 3], [2, 3])])
    assert both["summary_rouge1"] == pytest.approx(1.0)
