import pickle

import numpy
import pytest
import spacy
from spacy.tokens import DocBin, SpanGroup
from spacy.training import Example
from thinc.api import Adam

from spacy_bert_components.summarization.gold import has_gold

from .util import KEY, summarizer_nlp, toy_examples, toy_gold, toy_sentences

N_STEPS = 40


@pytest.fixture(scope="module")
def trained(tiny_bert):
    """A frozen-style pipeline (layer mix) overfitted on six toy docs."""
    nlp = summarizer_nlp(tiny_bert)
    examples = toy_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01)
    losses = {}
    for _ in range(N_STEPS):
        losses = {}
        nlp.update(examples, sgd=optimizer, losses=losses)
    return nlp, losses


def _summary_texts(doc):
    return [span.text for span in doc.spans["summary"]]


def test_overfit_selects_the_oracle(trained):
    nlp, losses = trained
    assert losses["summarizer"] < 0.1
    for i in range(6):
        gold = toy_gold(nlp, i)
        doc = nlp(gold.text)
        assert _summary_texts(doc) == [span.text for span in gold.spans["summary_oracle"]]
        assert all(KEY in t.lower() for t in _summary_texts(doc))
        scores = doc.spans["summary"].attrs["scores"]
        assert len(scores) == 2 and all(s > 0.5 for s in scores)
        assert doc._.summary == " ".join(_summary_texts(doc))
        all_scores = [sent._.summary_score for sent in doc.sents]
        assert len(all_scores) == 5 and all(isinstance(s, float) for s in all_scores)
        assert sorted(all_scores)[-2:] == sorted(scores)


def test_round_trips(trained, tmp_path):
    nlp, _ = trained
    text = toy_gold(nlp, 1).text
    doc = nlp(text)
    expected = (_summary_texts(doc), doc.spans["summary"].attrs["scores"])

    def same(other):
        assert _summary_texts(other) == expected[0]
        numpy.testing.assert_allclose(other.spans["summary"].attrs["scores"], expected[1], rtol=1e-4)
        assert other._.summary == doc._.summary
        assert [s._.summary_score for s in other.sents] == pytest.approx([s._.summary_score for s in doc.sents])

    nlp.to_disk(tmp_path / "nlp")
    same(spacy.load(tmp_path / "nlp")(text))
    same(pickle.loads(pickle.dumps(doc)))
    same(list(DocBin(docs=[doc]).get_docs(nlp.vocab))[0])
    same(pickle.loads(pickle.dumps(nlp))(text))


def test_batch_sizes_agree(trained):
    nlp, _ = trained
    texts = [toy_gold(nlp, i).text for i in range(8)] + ["", "Only one sentence here."]
    one = [d.spans["summary_sentences"].attrs["scores"] for d in nlp.pipe(texts, batch_size=1)]
    eight = [d.spans["summary_sentences"].attrs["scores"] for d in nlp.pipe(texts, batch_size=8)]
    for a, b in zip(one, eight):
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_empty_and_one_sentence_docs(trained):
    nlp, _ = trained
    doc = nlp("")
    assert len(doc.spans["summary"]) == 0 and doc._.summary == ""
    doc = nlp("Profits rose")
    assert _summary_texts(doc) == ["Profits rose"]
    assert list(doc.sents)[0]._.summary_score == doc.spans["summary"].attrs["scores"][0]
    docs = list(nlp.pipe(["", "", "Yes."]))
    assert [len(d.spans["summary"]) for d in docs] == [0, 0, 1]


def test_long_document(trained):
    nlp, _ = trained
    sents = [s for i in range(200) for s in toy_sentences(i)]  # 1,000 sentences
    words = " ".join(sents).split()
    text = " ".join(sents * (20000 // len(words) + 1))
    doc = nlp(text)
    assert len(doc) > 20000
    n_sents = len(list(doc.sents))
    assert len(doc.spans["summary_sentences"]) == n_sents
    assert len(doc.spans["summary"]) == 2
    starts = [s.start for s in doc.spans["summary"]]
    assert starts == sorted(starts)


def test_selection_ratio_and_trigram_blocking(trained):
    nlp, _ = trained
    pipe = nlp.get_pipe("summarizer")
    doc = nlp.make_doc("the cat sat down . the cat sat up . a dog ran off . birds flew by .")
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0 or doc[i - 1].text == "."
    sents = list(doc.sents)
    probs = [0.9, 0.8, 0.7, 0.1]
    assert pipe.select(sents, probs) == [0, 2]  # "the cat sat" blocks sentence 1
    pipe.cfg["block_trigrams"] = False
    try:
        assert pipe.select(sents, probs) == [0, 1]
        pipe.cfg.update(n_sentences=None, ratio=0.75)
        assert pipe.select(sents, probs) == [0, 1, 2]
        pipe.cfg.update(n_sentences=1)
        assert pipe.select(sents, probs) == [0]
    finally:
        pipe.cfg.update(n_sentences=2, ratio=None, block_trigrams=True)


def test_never_overwrites_a_foreign_span_group(trained):
    nlp, _ = trained
    doc = nlp.make_doc("Profits rose. Rain fell.")
    doc.spans["summary"] = SpanGroup(doc, name="summary", spans=[doc[0:2]])
    with pytest.raises(ValueError, match="another component"):
        nlp(doc)
    # Our own group is rewritten when a doc goes through again.
    doc = nlp("Profits rose. Rain fell.")
    assert len(nlp(doc).spans["summary"]) == 2


def test_getters_follow_the_configured_keys(trained):
    """`doc._.summary` and `span._.summary_score` read the groups this
    component wrote, under whatever keys its config names."""
    nlp, _ = trained
    pipe = nlp.get_pipe("summarizer")
    text = toy_gold(nlp, 2).text
    expected = nlp(text)
    pipe.cfg.update(spans_key="abstract", sentences_key="abstract_scores")
    try:
        doc = nlp(text)
    finally:
        pipe.cfg.update(spans_key="summary", sentences_key="summary_sentences")
    assert "summary" not in doc.spans and "abstract" in doc.spans
    assert doc._.summary == expected._.summary != ""
    assert [s._.summary_score for s in doc.sents] == [s._.summary_score for s in expected.sents]


def test_docs_without_gold_give_no_loss(trained, tiny_bert):
    nlp, _ = trained
    pipe = nlp.get_pipe("summarizer")
    doc = toy_gold(nlp, 0)
    plain = nlp.make_doc(doc.text)  # e.g. a doc from another task's data
    eg = Example(nlp.make_doc(doc.text), plain)
    assert not has_gold(plain)
    scores = [pipe.model.ops.asarray1f([3.0, -2.0, 0.5, 1.0, -1.0])]
    loss, d_scores = pipe.get_loss([eg], scores)
    assert loss == 0.0 and not d_scores[0].any()
    gold_eg = Example(nlp(doc.text), doc)
    loss, d_scores = pipe.get_loss([gold_eg, eg], scores * 2)
    assert loss > 0 and d_scores[0].any() and not d_scores[1].any()


def test_not_initialized_and_no_sentences(tiny_bert):
    nlp = summarizer_nlp(tiny_bert)
    with pytest.raises(ValueError):
        nlp("Profits rose. Rain fell.")
    nlp = summarizer_nlp(tiny_bert)
    nlp.initialize(lambda: toy_examples(nlp, 2))
    with pytest.raises(ValueError, match="sentencizer"):
        nlp.get_pipe("summarizer")(nlp.get_pipe("transformer")(nlp.make_doc("Profits rose. Rain fell.")))


def test_finetuned_setup_trains_the_encoder(tiny_bert):
    """mix_layers = false: the shared encoder gets the head's gradient."""
    nlp = summarizer_nlp(tiny_bert, mix_layers=False)
    examples = toy_examples(nlp, 2)
    nlp.initialize(lambda: examples)
    before = nlp.get_pipe("transformer").model.to_bytes()
    optimizer = Adam(0.01)
    # spaCy applies the transformer's update before later components send
    # their gradient back: it shows from the second step on.
    for _ in range(2):
        nlp.update(examples, sgd=optimizer, losses={})
    assert nlp.get_pipe("transformer").model.to_bytes() != before
