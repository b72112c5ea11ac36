"""Cache a frozen encoder's outputs per document while training heads.

A frozen encoder gives the same output for the same document every epoch, yet
spaCy's training loop re-encodes every example each time (the transformer is
an annotating component). Caching the per-document output turns every epoch
after the first into head-only work: on CPU, that is most of a frozen run.

The cache is only ever switched on for an encoder whose weights cannot change
(`save_weights = false`: weights saved by reference would lose any update)
and that was initialized in this process, i.e. is being trained; a pipeline
loaded with `spacy.load` never caches. It is bounded: outputs are kept in
float16 up to `SPACY_BERT_ENCODER_CACHE_MB` megabytes (default
`DEFAULT_CACHE_MB`; 0 switches it off), after which new documents are simply
encoded each time.
"""
import os
from typing import Dict, Hashable, List, Optional

import numpy
from spacy.tokens import Doc
from spacy_transformers.data_classes import TransformerData
from transformers.file_utils import ModelOutput

DEFAULT_CACHE_MB = 3000
CACHE_ENV = "SPACY_BERT_ENCODER_CACHE_MB"


def cache_budget_mb() -> int:
    value = os.environ.get(CACHE_ENV, str(DEFAULT_CACHE_MB))
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{CACHE_ENV} must be a whole number of megabytes, not {value!r}") from None


def doc_key(doc: Doc) -> Hashable:
    """The text and its token boundaries: equal keys mean equal encoder input."""
    return hash((doc.text, tuple(token.idx for token in doc)))


def _nbytes(data: TransformerData) -> int:
    total = 0
    for value in data.model_output.values():
        arrays = value if isinstance(value, (list, tuple)) else [value]
        total += sum(getattr(a, "nbytes", 0) for a in arrays)
    return total


def _convert(data: TransformerData, dtype: str) -> TransformerData:
    output = ModelOutput()
    for key, value in data.model_output.items():
        if isinstance(value, (list, tuple)):
            output[key] = [numpy.asarray(a, dtype=dtype) for a in value]
        else:
            output[key] = numpy.asarray(value, dtype=dtype)
    return TransformerData(wordpieces=data.wordpieces, model_output=output, align=data.align)


class EncoderOutputCache:
    """Per-document encoder outputs, float16, within a memory budget."""

    def __init__(self, max_mb: int) -> None:
        self.max_bytes = max_mb * 1024 * 1024
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self._store: Dict[Hashable, TransformerData] = {}

    def get(self, key: Hashable) -> Optional[TransformerData]:
        data = self._store.get(key)
        if data is None:
            self.misses += 1
            return None
        self.hits += 1
        return _convert(data, "float32")

    def put(self, key: Hashable, data: TransformerData) -> None:
        if key in self._store or "last_hidden_state" not in data.model_output:
            return
        small = _convert(data, "float16")
        size = _nbytes(small)
        if self.nbytes + size <= self.max_bytes:
            self._store[key] = small
            self.nbytes += size

    def __len__(self) -> int:
        return len(self._store)


def split_cached(cache: EncoderOutputCache, docs: List[Doc]):
    """RETURNS: (keys, found per doc or None, indices of the docs to encode)."""
    keys = [doc_key(doc) for doc in docs]
    found = [cache.get(key) for key in keys]
    missing = [i for i, data in enumerate(found) if data is None]
    return keys, found, missing
