"""Bounded batches: caps by documents and characters, strings freed after
each batch, and a batch that runs out of device memory split in halves down
to one document (out-of-memory injected on the CPU)."""

import platform
from typing import Iterable, Iterator, List

import pyarrow as pa
import pytest
import spacy
import torch
from spacy.language import Language
from spacy.tokens import Doc

from spacy_bert_components.batch import heap
from spacy_bert_components.batch.columns import ColumnSpec, annotate_table
from spacy_bert_components.batch.pipe_batches import (
    annotate_texts,
    char_capped_batches,
    is_out_of_memory,
)
from spacy_bert_components.corpus.readers import READ_SCHEMA


def read_rows(texts: List[str]) -> pa.Table:
    n = len(texts)
    rows = {
        "block": ["part-0000000000-000000"] * n,
        "index": list(range(n)),
        "id": [f"d{i}" for i in range(n)],
        "source": [{"path": "in.jsonl", "row": i, "member": None} for i in range(n)],
        "text": texts,
        "error": [None] * n,
    }
    return pa.Table.from_pydict(rows, schema=READ_SCHEMA)


@pytest.mark.parametrize(
    "lengths,size,chars,expected",
    [
        ([1, 1, 1, 1, 1], 2, 100, [[0, 1], [2, 3], [4]]),
        ([40, 40, 40, 10], 32, 100, [[0, 1], [2, 3]]),
        # One long text is a batch of its own, wherever it is.
        ([10, 500, 10, 10], 32, 100, [[0], [1], [2, 3]]),
        ([500], 32, 100, [[0]]),
        ([], 32, 100, []),
    ],
)
def test_batches_are_capped_by_documents_and_characters(lengths, size, chars, expected):
    assert list(char_capped_batches(lengths, batch_size=size, batch_chars=chars)) == expected


class OutOfMemoryOver:
    """A pipe that raises CUDA's out-of-memory error for a batch of more
    than `max_docs` docs, or holding a doc with "HUGE", as a GPU would."""

    def __init__(self, max_docs: int) -> None:
        self.max_docs = max_docs
        self.batches: List[int] = []

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        docs = list(docs)
        self.batches.append(len(docs))
        if len(docs) > self.max_docs or any("HUGE" in doc.text for doc in docs):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        yield from docs


@Language.factory("test_out_of_memory_over")
def make_out_of_memory_over(nlp: Language, name: str, max_docs: int) -> OutOfMemoryOver:
    return OutOfMemoryOver(max_docs)


def test_out_of_memory_splits_the_batch_down_to_one_document():
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("test_out_of_memory_over", config={"max_docs": 2})
    texts = [f"Text number {i} here." for i in range(7)] + ["A HUGE document."]
    out = annotate_table(nlp, read_rows(texts), ColumnSpec(), batch_size=8)
    rows = out.to_pylist()
    # Every row exactly once, in order.
    assert [row["index"] for row in rows] == list(range(8))
    assert [row["error"] for row in rows[:7]] == [None] * 7
    assert [row["n_tokens"] for row in rows[:7]] == [len(nlp.make_doc(t)) for t in texts[:7]]
    error = rows[7]["error"]
    assert error.startswith("out of memory: the document alone does not fit (16 characters; OutOfMemoryError")
    assert "--max-chars" in error and rows[7]["n_tokens"] is None
    # 8 -> 4 (-> 2 + 2) + 4 (-> 2 + 2, the pair with the HUGE doc -> 1 + 1).
    assert pipe.batches == [8, 4, 2, 2, 4, 2, 2, 1, 1]


def test_an_error_other_than_out_of_memory_costs_only_its_row():
    nlp = spacy.blank("en")

    @Language.component("fails_on_boom_pipe_batches")
    def fails_on_boom(doc: Doc) -> Doc:
        if "boom" in doc.text:
            raise ValueError("boom")
        return doc

    nlp.add_pipe("fails_on_boom_pipe_batches")
    batches = annotate_texts(nlp, ["ok.", "boom.", "ok too."], len, lambda error: error, batch_size=8)
    rows = [row for _, batch in batches for row in batch]
    assert rows == [2, "annotation failed: ValueError: boom", 3]


def test_out_of_memory_errors_are_told_apart():
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory"))
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(ValueError("out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))


def test_strings_a_batch_adds_are_freed_after_its_rows_are_made():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    before = len(nlp.vocab.strings)
    texts = [f"Zorblax{i} met Quintavelle{i} in Vrondheim{i}." for i in range(40)]
    out = annotate_table(nlp, read_rows(texts), ColumnSpec(), batch_size=8)
    assert len(nlp.vocab.strings) == before
    assert "Zorblax3" not in nlp.vocab.strings
    assert out.column("n_tokens").to_pylist() == [6] * 40


def test_the_heap_is_trimmed_between_batches(monkeypatch):
    """glibc keeps what a batch freed in its arenas; the runner offers a
    trim after each batch, before its rows are handed on."""
    trims: List[int] = []
    monkeypatch.setattr("spacy_bert_components.batch.pipe_batches.trim_heap", lambda: trims.append(1))
    nlp = spacy.blank("en")
    seen = []
    for batch, _rows in annotate_texts(nlp, ["a b", "c d", "e f", "g h", "i j"], len, str, batch_size=2):
        seen.append(batch)
        assert len(trims) == len(seen)
    assert seen == [[0, 1], [2, 3], [4]]


def test_a_trim_is_due_every_so_many_seconds(monkeypatch):
    trims: List[float] = []
    now = [100.0]
    monkeypatch.setattr(heap, "release_free_heap", lambda: trims.append(now[0]) or True)
    trimmer = heap.HeapTrimmer(every=2.0, clock=lambda: now[0])
    for t in (100.5, 101.9, 102.0, 103.0, 104.5, 104.6):
        now[0] = t
        trimmer()
    assert trims == [102.0, 104.5]
    assert [heap.HeapTrimmer(every=0.0, clock=lambda: 1.0)() for _ in range(3)] == [True] * 3
    assert not heap.HeapTrimmer(every=-1.0)()


def test_trim_seconds_from_the_environment(monkeypatch):
    monkeypatch.setenv(heap.TRIM_SECONDS_ENV, "0.5")
    assert heap.HeapTrimmer().every == 0.5
    monkeypatch.setenv(heap.TRIM_SECONDS_ENV, "often")
    with pytest.raises(ValueError, match=heap.TRIM_SECONDS_ENV):
        heap.trim_seconds()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_release_free_heap_trims_on_glibc():
    assert heap.release_free_heap() is True
