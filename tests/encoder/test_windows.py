"""Sentence windows, the length-sorted prediction pass and bf16 precision,
on the tiny BERT, MPNet and RoBERTa."""

import numpy
import pytest
import spacy

from spacy_bert_components.encoder.model import inference_transformer
from spacy_bert_components.encoder.precision import check_precision, resolve_precision
from spacy_bert_components.encoder.windows import SentenceWindows
from spacy_bert_components.layers.length_batches import length_batches

LONG = (
    "The council met on Monday. It approved the new budget after a long debate about schools and roads. "
    "Critics said the plan was rushed. The mayor disagreed! She promised a review next year. "
    "Nobody expected the vote to be so close, and the opposition asked for a recount of every ballot cast."
)
TEXTS = [LONG, "Hi", "", "A short one. And another short sentence here.", LONG + " " + LONG]

TRICKY = [
    "Héllo  wörld!\n\nShe said: \"we're gonna win\"... didn't she?",
    "See https://example.com/a_b?c=1 or mail me@example.org. Prices: $1,234.50 (approx.)",
    "東京 is big. Ünïcödé  ﬁnally; tabs\tand\u00a0spaces. Emoji 🙂 here.",
    "supercalifragilisticexpialidocious " * 12,
]


def _encoder_pipeline(tiny_bert: str, get_spans: dict, precision: str = "fp32", sentencizer: bool = True):
    nlp = spacy.blank("en")
    if sentencizer:
        nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        "transformer",
        config={
            "model": {
                "@architectures": "spacy-bert-components.Encoder.v2",
                "name": tiny_bert,
                "get_spans": get_spans,
                "precision": precision,
                "transformer_config": {"output_hidden_states": True},
            }
        },
    )
    nlp.initialize()
    return nlp


def _windows(budget: int) -> dict:
    return {"@span_getters": "spacy-bert-components.sentence_windows.v1", "max_wordpieces": budget}


def _wordpieces(tokenizer, span) -> int:
    return len(tokenizer(span.text, add_special_tokens=False)["input_ids"])


@pytest.mark.parametrize("budget", [8, 24, 64])
def test_windows_cover_each_token_once_within_budget(tiny_encoder, budget):
    nlp = _encoder_pipeline(tiny_encoder, _windows(budget))
    tokenizer = nlp.get_pipe("transformer").model.tokenizer
    getter = SentenceWindows(budget)
    getter.bind_tokenizer(tokenizer)
    for doc in nlp.pipe(TEXTS):
        windows = getter([doc])[0]
        covered = [i for window in windows for i in range(window.start, window.end)]
        assert covered == list(range(len(doc)))
        for window in windows:
            # Over budget only as a single token the encoder truncates.
            assert _wordpieces(tokenizer, window) <= budget - 2 or len(window) == 1


def test_windows_keep_sentences_whole_when_they_fit(tiny_encoder):
    nlp = _encoder_pipeline(tiny_encoder, _windows(64))
    tokenizer = nlp.get_pipe("transformer").model.tokenizer
    doc = nlp(LONG + " " + LONG)
    # A budget every sentence fits in, and no two of the longest together.
    longest = max(_wordpieces(tokenizer, sent) for sent in doc.sents)
    getter = SentenceWindows(longest + 2)
    getter.bind_tokenizer(tokenizer)
    starts = {sent.start for sent in doc.sents} | {len(doc)}
    windows = getter([doc])[0]
    assert 1 < len(windows) < len(list(doc.sents))
    for window in windows:
        assert window.start in starts and window.end in starts
        assert _wordpieces(tokenizer, window) <= longest


def test_windows_without_sentences_cut_the_doc_by_budget(tiny_encoder):
    nlp = _encoder_pipeline(tiny_encoder, _windows(16), sentencizer=False)
    doc = nlp(LONG)
    spans = doc._.trf_data.wordpieces.lengths
    assert len(spans) > 1 and max(spans) <= 16


def test_windows_need_a_tokenizer():
    with pytest.raises(ValueError, match="tokenizer"):
        SentenceWindows(32)([spacy.blank("en")("Hello.")])
    with pytest.raises(ValueError, match="max_wordpieces"):
        SentenceWindows(2)


def test_length_batches_sort_and_respect_the_budget():
    lengths = numpy.asarray([5, 30, 7, 30, 12, 100, 6])
    batches = length_batches(lengths, 60, max_padding=0.2)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        widths = lengths[batch]
        assert list(widths) == sorted(widths)
        positions = len(batch) * widths.max()
        assert len(batch) == 1 or (positions <= 60 and positions - widths.sum() <= 0.2 * positions)
    # 5, 6, 7 share a batch (3 padded of 21); 12 would pad 21 of 48.
    assert [lengths[b].tolist() for b in batches] == [[5, 6, 7], [12], [30, 30], [100]]
    flat = [int(lengths[i]) for batch in batches for i in batch]
    assert flat == sorted(flat)


def test_sorted_prediction_equals_spacy_transformers_forward(tiny_encoder):
    """The prediction pass (sorted, sub-batched) gives the vectors of
    spacy-transformers' own forward pass (one padded batch)."""
    from spacy_transformers.layers.transformer_model import forward as trf_forward

    nlp = _encoder_pipeline(tiny_encoder, _windows(24))
    model = nlp.get_pipe("transformer").model
    docs = [nlp.make_doc(t) for t in TEXTS + TRICKY if t]
    docs = list(nlp.get_pipe("sentencizer").pipe(docs))
    reference, _ = trf_forward(model, docs, False)
    predicted = model.predict(docs)
    assert len(predicted.model_output.hidden_states) == len(reference.model_output.hidden_states)
    mask = numpy.asarray(reference.wordpieces.attention_mask).astype(bool)
    for ours, theirs in zip(predicted.model_output.hidden_states, reference.model_output.hidden_states):
        numpy.testing.assert_allclose(ours.numpy()[mask], theirs.detach().numpy()[mask], atol=1e-5)
    assert predicted.align.dataXd.tolist() == reference.align.dataXd.tolist()
    assert predicted.align.lengths.tolist() == reference.align.lengths.tolist()
    assert predicted.wordpieces.strings == reference.wordpieces.strings


def _tokenizers(tiny_bert: str):
    from transformers import AutoTokenizer

    from spacy_bert_components.encoder.resolve import default_encoder_path

    return [AutoTokenizer.from_pretrained(path, use_fast=True) for path in (tiny_bert, str(default_encoder_path()))]


@pytest.mark.parametrize("budget", [6, 24, 256])
def test_window_wordpieces_are_those_of_tokenizing_the_windows(tiny_encoder, budget):
    """The windows' wordpieces cut out of the docs' tokenization are what
    tokenizing each window's text gives: ids, mask, offsets, strings."""
    from spacy_bert_components.encoder.predict import tokenize
    from spacy_bert_components.encoder.window_encoding import cuts_at_words

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    docs = list(nlp.pipe(TEXTS + TRICKY))
    for tokenizer in _tokenizers(tiny_encoder):
        getter = SentenceWindows(budget)
        getter.bind_tokenizer(tokenizer)
        windows, encoding = getter.windows_and_encoding(docs)
        assert windows == getter(docs)
        if encoding is None:
            # Only sentences cut inside a word fall back, and tokenizers that
            # tokenize a window's first word otherwise than inside its doc
            # (byte-level BPE: "Ġword" after a space, "word" at the start).
            assert budget == 6 or not cuts_at_words(tokenizer)
            continue
        expected = tokenize(tokenizer, [span.text for doc_windows in windows for span in doc_windows])
        assert sorted(encoding.keys()) == sorted(expected.keys())
        for key in ("input_ids", "token_type_ids", "attention_mask", "offset_mapping"):
            if key in expected:  # MPNet and RoBERTa have no token_type_ids
                numpy.testing.assert_array_equal(encoding[key], expected[key], err_msg=key)
        assert encoding["input_texts"] == expected["input_texts"]
        assert encoding["pad_token"] == expected["pad_token"]


def test_a_window_cut_inside_a_word_is_tokenized_again(tiny_bert):
    from spacy.tokens import Doc

    [_, tokenizer] = _tokenizers(tiny_bert)
    assert len(tokenizer("xyzqwv", add_special_tokens=False)["input_ids"]) > 3
    nlp = spacy.blank("en")
    # One BERT word over two spaCy tokens, and a budget that parts them.
    doc = Doc(nlp.vocab, words=["xyz", "qwv"], spaces=[False, False])
    getter = SentenceWindows(2 + len(tokenizer("xyz", add_special_tokens=False)["input_ids"]))
    getter.bind_tokenizer(tokenizer)
    windows, encoding = getter.windows_and_encoding([doc])
    assert [w.text for w in windows[0]] == ["xyz", "qwv"]
    assert encoding is None


def test_bf16_precision_is_close_to_fp32_and_training_stays_fp32(tiny_encoder):
    import torch

    texts = [t for t in TEXTS if t]
    fp32 = _encoder_pipeline(tiny_encoder, _windows(32))
    bf16 = _encoder_pipeline(tiny_encoder, _windows(32), precision="bf16")
    bf16.get_pipe("transformer").model.from_bytes(fp32.get_pipe("transformer").model.to_bytes())
    model = bf16.get_pipe("transformer").model
    assert next(inference_transformer(model).parameters()).dtype == torch.bfloat16
    assert next(model.transformer.parameters()).dtype == torch.float32
    for a, b in zip(fp32.pipe(texts), bf16.pipe(texts)):
        real = numpy.asarray(a._.trf_data.wordpieces.attention_mask).astype(bool)
        x = a._.trf_data.model_output.last_hidden_state[real]
        y = b._.trf_data.model_output.last_hidden_state[real]
        assert y.dtype == numpy.float32
        assert not numpy.array_equal(x, y)  # really computed in bf16
        cosine = (x * y).sum(-1) / (numpy.linalg.norm(x, axis=-1) * numpy.linalg.norm(y, axis=-1))
        assert cosine.min() > 0.99


def test_int8_precision_quantizes_a_copy_close_to_fp32(tiny_encoder):
    texts = [t for t in TEXTS if t]
    fp32 = _encoder_pipeline(tiny_encoder, _windows(32))
    int8 = _encoder_pipeline(tiny_encoder, _windows(32), precision="int8")
    int8.get_pipe("transformer").model.from_bytes(fp32.get_pipe("transformer").model.to_bytes())
    model = int8.get_pipe("transformer").model
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    assert any(isinstance(m, DynamicLinear) for m in inference_transformer(model).modules())
    # The weights the pipeline saves and trains stay fp32.
    assert not any(isinstance(m, DynamicLinear) for m in model.transformer.modules())
    for a, b in zip(fp32.pipe(texts), int8.pipe(texts)):
        real = numpy.asarray(a._.trf_data.wordpieces.attention_mask).astype(bool)
        x = a._.trf_data.model_output.last_hidden_state[real]
        y = b._.trf_data.model_output.last_hidden_state[real]
        assert y.dtype == numpy.float32
        assert not numpy.array_equal(x, y)  # really computed in int8
        cosine = (x * y).sum(-1) / (numpy.linalg.norm(x, axis=-1) * numpy.linalg.norm(y, axis=-1))
        assert cosine.min() > 0.95


def test_precision_setting_is_checked(tiny_bert):
    assert check_precision("auto") == "auto"
    with pytest.raises(ValueError, match="fp32, bf16, int8, auto"):
        check_precision("int4")
    assert resolve_precision("fp32", "cpu") == "fp32"
    assert resolve_precision("auto", "cpu") in ("fp32", "bf16")
    assert resolve_precision("int8", "cpu") == "int8"
