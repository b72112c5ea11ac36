"""Span-group kinds: one naming convention, and docs saved under the older
kind names still read through every getter."""

import re

import spacy
from spacy.tokens import DocBin, SpanGroup

from spacy_bert_components.sentiment.component import SENTENCE_SENTIMENT_KIND
from spacy_bert_components.span_groups import KIND_ALIASES, group_kind
from spacy_bert_components.srl.frames import FRAMES_KIND, FrameData, read_frames, write_frames
from spacy_bert_components.summarization.component import SENTENCES_KIND, SUMMARY_KIND

KINDS = [SENTENCE_SENTIMENT_KIND, SUMMARY_KIND, SENTENCES_KIND, FRAMES_KIND]


def test_every_kind_follows_the_registry_convention():
    for kind in KINDS:
        assert re.fullmatch(r"spacy-bert-components\.[a-z_]+\.v[0-9]+", kind), kind
    assert sorted(KIND_ALIASES.values()) == sorted(KINDS)


def old_kind_doc(nlp):
    """A doc annotated as the four components wrote it under the old kind
    names (attrs as they were: kind, annotator and the task's payload)."""
    doc = nlp("John ate the apple. Mary was happy.")
    first, second = doc[0:5], doc[5:9]
    doc.spans["sentiment"] = SpanGroup(
        doc,
        name="sentiment",
        spans=[first, second],
        attrs={
            "kind": "spacy-bert-components.sentence_sentiment",
            "annotator": "sentiment",
            "labels": ["negative", "positive"],
            "probs": [[0.4, 0.6], [0.1, 0.9]],
            "scores": [0.2, 0.8],
            "doc_score": 0.5,
        },
    )
    frame = FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 4, 3)])
    doc.spans["srl"] = SpanGroup(
        doc,
        name="srl",
        spans=[doc[1:2], doc[0:1], doc[2:4]],
        attrs={
            "kind": "bert_srl.v1",
            "annotator": "srl",
            "frames": [frame.to_msg()],
        },
    )
    doc.spans["summary_sentences"] = SpanGroup(
        doc,
        name="summary_sentences",
        spans=[first, second],
        attrs={
            "kind": "bert_summarizer.sentences",
            "annotator": "summarizer",
            "scores": [0.7, 0.3],
        },
    )
    doc.spans["summary"] = SpanGroup(
        doc,
        name="summary",
        spans=[first],
        attrs={
            "kind": "bert_summarizer.summary",
            "annotator": "summarizer",
            "scores": [0.7],
        },
    )
    return doc


def test_a_docbin_saved_with_the_old_kinds_reads():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    data = DocBin(docs=[old_kind_doc(nlp)], store_user_data=True).to_bytes()
    doc = next(DocBin().from_bytes(data).get_docs(nlp.vocab))
    assert sorted(group_kind(group) for group in doc.spans.values()) == sorted(KINDS)
    first, second = list(doc.sents)
    assert (first._.sentiment, second._.sentiment, doc._.sentiment) == (0.2, 0.8, 0.5)
    assert [(f.predicate.text, f.roleset, [(r, s.text) for r, s in f.arguments]) for f in doc._.srl] == [
        ("ate", "eat.01", [("ARG0", "John"), ("ARG1", "the apple")])
    ]
    assert doc._.summary == "John ate the apple."
    assert (first._.summary_score, second._.summary_score) == (0.7, 0.3)
    # The component that wrote an old-kind group may replace it; it is its own.
    write_frames(doc, [], annotator="srl")
    assert read_frames(doc) == [] and doc.spans["srl"].attrs["kind"] == FRAMES_KIND
