"""The token alignment of non-overlapping windows equals spacy-transformers'
`get_alignment_via_offset_mapping`, on text that makes alignment hard."""

import pytest
import spacy
from spacy_transformers.align import get_alignment_via_offset_mapping
from spacy_transformers.span_getters import configure_strided_spans

from spacy_bert_components.encoder.alignment import offset_alignment
from spacy_bert_components.encoder.predict import tokenize
from spacy_bert_components.encoder.windows import SentenceWindows

TEXTS = [
    "The council can't meet. It won't!  Two  spaces,\ttabs\nand new lines.",
    "naïve café—résumé 😀 emoji’s “quotes” A.B.C. e.g. U.S.-based",
    "a\u200bb c\u0301d zero width and combining marks",
    "   leading space. trailing space   ",
    "x",
    "(parenthesised)[brackets]{braces} 3.14159 1,000,000 $5 50% #tag @user",
]


@pytest.fixture(scope="module")
def tokenizer(tiny_encoder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_encoder)


def _docs():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return list(nlp.pipe(TEXTS + ["", " ".join(TEXTS)]))


@pytest.mark.parametrize("budget", [4, 8, 64])
def test_sentence_window_alignment_equals_spacy_transformers(tokenizer, budget):
    getter = SentenceWindows(budget)
    getter.bind_tokenizer(tokenizer)
    spans = [span for doc_spans in getter(_docs()) for span in doc_spans]
    encoding = tokenize(tokenizer, [span.text for span in spans])
    ours = offset_alignment(spans, encoding["offset_mapping"])
    theirs = get_alignment_via_offset_mapping(spans, encoding["offset_mapping"])
    assert ours.lengths.tolist() == theirs.lengths.tolist()
    assert ours.dataXd.tolist() == theirs.dataXd.tolist()


def test_overlapping_windows_fall_back_to_spacy_transformers(tokenizer):
    spans = [span for doc_spans in configure_strided_spans(6, 4)(_docs()) for span in doc_spans]
    encoding = tokenize(tokenizer, [span.text for span in spans])
    ours = offset_alignment(spans, encoding["offset_mapping"])
    theirs = get_alignment_via_offset_mapping(spans, encoding["offset_mapping"])
    assert any(a.end > b.start and a.doc is b.doc for a, b in zip(spans, spans[1:]))
    assert ours.lengths.tolist() == theirs.lengths.tolist()
    assert ours.dataXd.tolist() == theirs.dataXd.tolist()


def test_wordpiece_strings_equal_a_vocabulary_lookup(tokenizer):
    from spacy_transformers.layers.transformer_model import huggingface_tokenize

    texts = TEXTS + ["a much longer text so that the others are padded " * 3]
    assert tokenize(tokenizer, texts)["input_texts"] == huggingface_tokenize(tokenizer, texts)["input_texts"]
