"""Encoder windows made of whole sentences, up to a wordpiece budget.

Strided windows (spacy-transformers' `strided_spans.v1`, 128 tokens with a
stride of 96) encode a quarter of all wordpieces twice and cut sentences at
arbitrary tokens. Packing whole sentences into windows of at most
`max_wordpieces` (special tokens included) encodes every wordpiece once, and
each token sees its own sentence and the sentences around it. A sentence
longer than the budget is cut into consecutive pieces, without overlap.

Counting wordpieces needs the encoder's tokenizer: the encoder binds it
(`bind_tokenizer`) before each call, and encodes the windows with the
wordpieces that count found (`windows_and_encoding`). Without a sentence
boundary annotation (no sentencizer or parser before the transformer) a doc
is one sentence, cut by the budget.

A window's text is encoded alone. For a WordPiece tokenizer (BERT, MPNet)
that gives the wordpieces its doc has there; a byte-level BPE (RoBERTa)
tokenizes a window's first word otherwise alone ("word") than after a
space in its doc ("Ġword"), so its windows are counted again, alone, and
one over the budget is packed again, tighter.
"""

from typing import Any, Callable, Iterable, List, Optional, Tuple

import numpy
from spacy.tokens import Doc, Span
from spacy_transformers.util import registry
from transformers import BatchEncoding

from ..layers.sentences import sentence_bounds
from .window_encoding import cuts_at_words, window_encoding

# [CLS] and [SEP] (or <s> and </s>) around every window.
N_SPECIAL = 2


class SentenceWindows:
    """Span getter: each doc's sentences packed greedily into windows."""

    def __init__(self, max_wordpieces: int) -> None:
        if max_wordpieces <= N_SPECIAL:
            raise ValueError(f"sentence_windows: max_wordpieces must be above {N_SPECIAL}, not {max_wordpieces}")
        self.max_wordpieces = max_wordpieces
        self.tokenizer: Optional[Any] = None

    def bind_tokenizer(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, docs: Iterable[Doc]) -> List[List[Span]]:
        return self._tokenize_and_pack(list(docs))[0]

    def windows_and_encoding(self, docs: Iterable[Doc]) -> Tuple[List[List[Span]], Optional[BatchEncoding]]:
        """RETURNS (Tuple[List[List[Span]], Optional[BatchEncoding]]): Each
        doc's windows, and their wordpieces cut out of the docs'
        tokenization that counted them (`window_encoding`; None where they
        cannot be: the encoder then tokenizes the windows' texts)."""
        windows, encoded, counts = self._tokenize_and_pack(list(docs))
        if not cuts_at_words(self.tokenizer):
            return windows, None
        return windows, window_encoding(self.tokenizer, windows, encoded, counts)

    def _tokenize_and_pack(self, docs: List[Doc]) -> Tuple[List[List[Span]], BatchEncoding, List[numpy.ndarray]]:
        """RETURNS: The windows, the docs' tokenization (one tokenizer call
        for the batch) and each doc's wordpieces per token."""
        if self.tokenizer is None:
            raise ValueError("sentence_windows: the encoder did not bind its tokenizer before asking for windows")
        encoded = self.tokenizer(
            [doc.text for doc in docs],
            add_special_tokens=False,
            return_offsets_mapping=True,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,
        )
        counts = [_wordpieces_per_token(doc, offsets) for doc, offsets in zip(docs, encoded["offset_mapping"])]
        budget = self.max_wordpieces - self.tokenizer.num_special_tokens_to_add(pair=False)
        windows = [self._pack(doc, n, budget) for doc, n in zip(docs, counts)]
        if not cuts_at_words(self.tokenizer):
            windows = [self._fit(doc, doc_windows, n, budget) for doc, doc_windows, n in zip(docs, windows, counts)]
        return windows, encoded, counts

    def _pack(
        self, doc: Doc, counts: numpy.ndarray, budget: int, first: int = 0, last: Optional[int] = None
    ) -> List[Span]:
        """Windows of doc[first:last] (default: the whole doc), whole
        sentences packed up to `budget` wordpieces by `counts`."""
        if not len(doc):
            return []
        last = len(doc) if last is None else last
        bounds = [(max(s, first), min(e, last)) for s, e in sentence_bounds(doc) if e > first and s < last]
        windows: List[Span] = []
        start = end = first
        size = 0
        for sent_start, sent_end in bounds:
            sent_size = int(counts[sent_start:sent_end].sum())
            if sent_size > budget:
                if end > start:
                    windows.append(doc[start:end])
                windows.extend(_cut(doc, counts, sent_start, sent_end, budget))
                start = end = sent_end
                size = 0
            elif size + sent_size > budget:
                windows.append(doc[start:end])
                start, end, size = sent_start, sent_end, sent_size
            else:
                end, size = sent_end, size + sent_size
        if end > start:
            windows.append(doc[start:end])
        return windows

    def _fit(self, doc: Doc, windows: List[Span], counts: numpy.ndarray, budget: int) -> List[Span]:
        """RETURNS (List[Span]): `windows`, each one whose text alone takes
        more than `budget` wordpieces packed again with the budget less the
        excess, until every window fits (or is a single token)."""
        fitted: List[Span] = []
        pending = windows
        while pending:
            texts = [window.text for window in pending]
            alone = self.tokenizer(texts, add_special_tokens=False, return_attention_mask=False, verbose=False)[
                "input_ids"
            ]
            tighter: List[Span] = []
            for window, ids in zip(pending, alone):
                if len(ids) <= budget or len(window) == 1:
                    fitted.append(window)
                    continue
                counted = int(counts[window.start : window.end].sum())
                pieces = self._pack(doc, counts, budget - (len(ids) - counted), window.start, window.end)
                if len(pieces) == 1:  # nothing left to cut (tokens of no wordpieces)
                    fitted.append(window)
                else:
                    tighter.extend(pieces)
            pending = tighter
        return sorted(fitted, key=lambda window: window.start)


def _wordpieces_per_token(doc: Doc, offsets: List[Tuple[int, int]]) -> numpy.ndarray:
    """Wordpieces that start inside each token of `doc` (a token with none,
    e.g. a space, counts 0), from its text's wordpiece offsets."""
    starts = numpy.asarray([start for start, _ in offsets], dtype="int64")
    token_starts = doc.to_array("IDX").astype("int64")
    # Wordpieces starting before token i+1's first character belong to
    # tokens 0..i: differences of the cumulative count.
    bounds = numpy.searchsorted(starts, token_starts[1:], side="left")
    return numpy.diff(numpy.concatenate([[0], bounds, [len(starts)]]))


def _cut(doc: Doc, counts: numpy.ndarray, start: int, end: int, budget: int) -> List[Span]:
    """Consecutive pieces of doc[start:end] of at most `budget` wordpieces
    (a single token longer than that is a piece of its own: the encoder
    truncates it)."""
    pieces = []
    piece_start, size = start, 0
    for i in range(start, end):
        if size + counts[i] > budget and i > piece_start:
            pieces.append(doc[piece_start:i])
            piece_start, size = i, 0
        size += int(counts[i])
    pieces.append(doc[piece_start:end])
    return pieces


@registry.span_getters("spacy-bert-components.sentence_windows.v1")
def configure_sentence_windows(max_wordpieces: int = 256) -> Callable[[Iterable[Doc]], List[List[Span]]]:
    """Encoder windows of whole sentences packed up to a wordpiece budget.

    max_wordpieces (int): Most wordpieces in a window, [CLS] and [SEP] included.
    RETURNS (Callable[[Iterable[Doc]], List[List[Span]]]): The span getter.
    """
    return SentenceWindows(max_wordpieces)
