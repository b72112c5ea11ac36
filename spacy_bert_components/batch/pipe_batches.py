"""`nlp.pipe` over bounded batches, each turned into rows at once.

A worker's memory is what one batch needs: the docs of a batch (and their
transformer data, every window's hidden states) live only until the batch's
rows are made, inside `nlp.memory_zone()`, so the strings, lexemes and
tokenizer cache entries a batch adds are freed with it. A batch is capped by
characters as well as by documents, so one long document does not bring
others into its forward pass; a batch that runs out of memory is split in
halves down to one document. After a batch the allocator's free pages go
back to the operating system (`heap.py`).
"""

from typing import Callable, Iterator, List, Sequence, Tuple, TypeVar

from spacy.language import Language
from spacy.tokens import Doc

from .heap import trim_heap

Row = TypeVar("Row")

DEFAULT_BATCH_CHARS = 50_000


def char_capped_batches(lengths: Sequence[int], *, batch_size: int, batch_chars: int) -> Iterator[List[int]]:
    """Cut positions 0..n-1 into consecutive batches of at most `batch_size`
    items and at most `batch_chars` characters; an item longer than
    `batch_chars` is a batch of its own.

    lengths (Sequence[int]): The characters of each text, in order.
    batch_size (int): Most items per batch.
    batch_chars (int): Most characters per batch.
    RETURNS (Iterator[List[int]]): The positions of each batch, in order.
    """
    batch: List[int] = []
    chars = 0
    for i, length in enumerate(lengths):
        if batch and (len(batch) >= batch_size or chars + length > batch_chars):
            yield batch
            batch, chars = [], 0
        batch.append(i)
        chars += length
    if batch:
        yield batch


def is_out_of_memory(err: BaseException) -> bool:
    """RETURNS (bool): Whether `err` says the device (or the host) ran out of
    memory: torch's and cupy's out-of-memory errors, a CUDA runtime error
    that says so, or Python's MemoryError."""
    if isinstance(err, MemoryError):
        return True
    if type(err).__name__ == "OutOfMemoryError":  # torch.cuda and cupy.cuda.memory
        return True
    return isinstance(err, RuntimeError) and "out of memory" in str(err).lower()


def release_device_memory() -> None:
    """Hand the memory a failed batch held back to the device, so the halves
    that follow get it (a no-op on a machine without CUDA)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()


def annotate_texts(
    nlp: Language,
    texts: Sequence[str],
    make_row: Callable[[Doc], Row],
    make_error: Callable[[str], Row],
    *,
    batch_size: int,
    batch_chars: int = DEFAULT_BATCH_CHARS,
) -> Iterator[Tuple[List[int], List[Row]]]:
    """Annotate `texts` batch by batch, turning each doc into a row before
    the next batch starts: no doc outlives its batch.

    nlp (Language): The pipeline.
    texts (Sequence[str]): The texts, in order.
    make_row (Callable[[Doc], Row]): Builds the row of an annotated doc. It
        runs inside the batch's memory zone: a row must hold plain strings
        and numbers, never a Doc, Span or Token.
    make_error (Callable[[str], Row]): Builds the row of a text that could
        not be annotated, from a one-line message.
    batch_size (int): Most docs per `nlp.pipe` batch.
    batch_chars (int): Most characters per batch.
    YIELDS (Tuple[List[int], List[Row]]): The positions in `texts` of a
        batch and their rows, batch after batch, in order.
    """
    lengths = [len(text) for text in texts]
    for batch in char_capped_batches(lengths, batch_size=batch_size, batch_chars=batch_chars):
        rows = _annotate_batch(nlp, [texts[i] for i in batch], make_row, make_error)
        trim_heap()
        yield batch, rows


def _annotate_batch(
    nlp: Language, texts: List[str], make_row: Callable[[Doc], Row], make_error: Callable[[str], Row]
) -> List[Row]:
    try:
        with nlp.memory_zone():
            return [make_row(doc) for doc in nlp.pipe(texts, batch_size=len(texts))]
    except Exception as err:  # noqa: BLE001 - a batch's failure is handled per row below
        out_of_memory = is_out_of_memory(err)
        error = f"{type(err).__name__}: {err}"
    # Past the except clause, the exception and its frames are gone, and with
    # them the failed batch's tensors: their memory is free for the retries.
    if out_of_memory:
        release_device_memory()
        if len(texts) == 1:
            return [
                make_error(
                    f"out of memory: the document alone does not fit ({len(texts[0])} characters; "
                    f"{_first_line(error)}); lower --max-chars or use a device with more memory"
                )
            ]
        half = (len(texts) + 1) // 2
        return _annotate_batch(nlp, texts[:half], make_row, make_error) + _annotate_batch(
            nlp, texts[half:], make_row, make_error
        )
    if len(texts) == 1:
        return [make_error(f"annotation failed: {error}")]
    # One bad text costs only its own row: the rest are retried one by one.
    rows: List[Row] = []
    for text in texts:
        rows.extend(_annotate_batch(nlp, [text], make_row, make_error))
    return rows


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""
