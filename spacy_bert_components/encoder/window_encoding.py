"""Each window's wordpieces cut out of its doc's tokenization.

`sentence_windows` tokenizes every doc's text to count its tokens'
wordpieces before packing sentences into windows, and the encoder then
needs each window's wordpieces. Tokenizing the windows' texts once more
computes the same wordpieces a second time: a BERT tokenizer normalizes
character by character and splits words at whitespace and punctuation
(`BertPreTokenizer`), so a window that starts and ends between two words has
exactly the wordpieces its characters have in the doc. Here they are cut out
of the doc's, with the special tokens, padding, offsets and wordpiece
strings that tokenizing the windows' texts returns (`predict.tokenize`; the
tests check that the two are equal). Where that does not hold (another kind
of tokenizer, or a sentence longer than the budget cut inside a word) there
is no encoding, and the caller tokenizes the windows' texts.
"""

from typing import Any, List, Optional, Sequence

import numpy
from spacy.tokens import Span
from transformers import BatchEncoding, PreTrainedTokenizerFast


def cuts_at_words(tokenizer: Any) -> bool:
    """RETURNS (bool): Whether `tokenizer` tokenizes word by word, so that
    a window's wordpieces can be cut out of its doc's."""
    from tokenizers import pre_tokenizers

    return isinstance(tokenizer, PreTrainedTokenizerFast) and isinstance(
        tokenizer.backend_tokenizer.pre_tokenizer, pre_tokenizers.BertPreTokenizer
    )


def window_encoding(
    tokenizer: Any,
    windows: Sequence[Sequence[Span]],
    docs_encoded: BatchEncoding,
    doc_counts: Sequence[numpy.ndarray],
) -> Optional[BatchEncoding]:
    """The windows' encoding, as `predict.tokenize` returns it for the
    windows' texts, cut out of their docs' tokenization.

    windows (Sequence[Sequence[Span]]): Each doc's windows, in order.
    docs_encoded (BatchEncoding): The docs' texts tokenized by the fast
        `tokenizer` without special tokens, with offsets.
    doc_counts (Sequence[numpy]): Each doc's wordpieces per token (those that
        start inside it), which add up to the doc's wordpieces.
    RETURNS (Optional[BatchEncoding]): None where a window starts or ends
        inside a word.
    """
    template = tokenizer.build_inputs_with_special_tokens([-1])
    n_prefix = template.index(-1)
    prefix, suffix = template[:n_prefix], template[n_prefix + 1 :]
    prefix_texts = tokenizer.convert_ids_to_tokens(prefix)
    suffix_texts = tokenizer.convert_ids_to_tokens(suffix)
    # Per window: its doc's ids, offsets and wordpiece strings (lists the
    # docs' encoding already holds, or reads once per doc), its wordpiece
    # range, and its first character.
    pieces = []
    for i, (doc_windows, counts) in enumerate(zip(windows, doc_counts)):
        bounds = numpy.concatenate([[0], numpy.cumsum(counts)]).astype("int64")
        encoding = docs_encoded.encodings[i]
        words, doc_offsets = encoding.word_ids, docs_encoded["offset_mapping"][i]
        doc = (docs_encoded["input_ids"][i], doc_offsets, encoding.tokens)
        for window in doc_windows:
            start, end = int(bounds[window.start]), int(bounds[window.end])
            # A window's wordpieces are those that start inside it: a word
            # (or a wordpiece) across its edge makes other wordpieces of
            # the window's text alone ("did" + "n't" in "didn't").
            if (
                (0 < start < len(words) and words[start] == words[start - 1])
                or (0 < end < len(words) and words[end] == words[end - 1])
                or (end > start and doc_offsets[end - 1][1] > window.end_char)
            ):
                return None
            pieces.append((doc, start, end, window.start_char))
    n_special = len(prefix) + len(suffix)
    width = max((end - start for _, start, end, _ in pieces), default=0) + n_special
    input_ids = numpy.full((len(pieces), width), tokenizer.pad_token_id, dtype="int64")
    attention_mask = numpy.zeros((len(pieces), width), dtype="int64")
    offsets = numpy.zeros((len(pieces), width, 2), dtype="int64")
    texts: List[List[str]] = []
    pad = [tokenizer.pad_token]
    for row, ((doc_ids, doc_offsets, doc_tokens), start, end, first_char) in enumerate(pieces):
        n = end - start + n_special
        input_ids[row, :n] = prefix + doc_ids[start:end] + suffix
        attention_mask[row, :n] = 1
        if end > start:
            body = numpy.asarray(doc_offsets[start:end], dtype="int64") - first_char
            offsets[row, len(prefix) : len(prefix) + end - start] = body
        texts.append(prefix_texts + doc_tokens[start:end] + suffix_texts + pad * (width - n))
    data = {"input_ids": input_ids}
    if "token_type_ids" in tokenizer.model_input_names:
        data["token_type_ids"] = numpy.zeros_like(input_ids)  # one segment
    data.update(attention_mask=attention_mask, offset_mapping=offsets, input_texts=texts, pad_token=tokenizer.pad_token)
    return BatchEncoding(data)
