"""Handing the heap the batches freed back to the operating system.

On glibc's malloc (`$SPACY_BERT_ALLOCATOR=system`, or no jemalloc found: see
`allocator.py`), a batch's docs and tensors are freed when its rows are
made, but glibc keeps the freed pages in its arenas, fragmented between the
small objects that outlive the batch: over a long run the process's RSS
creeps up although Python's objects, spaCy's strings and torch's tensors
stay flat. `malloc_trim(0)` returns the free pages of every arena; the runner
trims after every batch by default, and the next batch faults its pages in
again, which costs words/s (docs/batch_runner.md). `$SPACY_BERT_TRIM_SECONDS`
spaces the trims (0: after every batch; a negative value: never). On another
allocator (jemalloc returns unused pages itself), and where there is no
such call (macOS, musl), nothing is done.
"""

import ctypes
import os
import sys
import time
from functools import lru_cache
from typing import Callable, Optional

from .allocator import loaded_allocator

TRIM_SECONDS_ENV = "SPACY_BERT_TRIM_SECONDS"
DEFAULT_TRIM_SECONDS = 0.0


@lru_cache(maxsize=1)
def _malloc_trim() -> Optional[Callable[[int], int]]:
    if not sys.platform.startswith("linux") or loaded_allocator() != "system":
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; musl has no malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_heap() -> bool:
    """Return the allocator's free pages to the operating system.

    RETURNS (bool): Whether this C library can (glibc's `malloc_trim`).
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def trim_seconds() -> float:
    """RETURNS (float): `$SPACY_BERT_TRIM_SECONDS`, or the default."""
    value = os.environ.get(TRIM_SECONDS_ENV, str(DEFAULT_TRIM_SECONDS))
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{TRIM_SECONDS_ENV} must be a number of seconds, not {value!r}") from None


class HeapTrimmer:
    """Calls `release_free_heap` when it is called at least `every` seconds
    after its last trim (0: every call; negative: never).

    every (Optional[float]): Seconds between trims; None reads `trim_seconds()`.
    clock (Callable[[], float]): The time (tests swap it).
    """

    def __init__(self, every: Optional[float] = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = trim_seconds() if every is None else every
        self.clock = clock
        self.last = clock()

    def __call__(self) -> bool:
        """RETURNS (bool): Whether it trimmed."""
        if self.every < 0:
            return False
        now = self.clock()
        if now - self.last < self.every:
            return False
        self.last = now
        return release_free_heap()


@lru_cache(maxsize=1)
def _process_trimmer() -> HeapTrimmer:
    # One per process: the time between trims counts across blocks and pieces.
    return HeapTrimmer()


def trim_heap() -> bool:
    """Give the heap's free pages back when the process's trim is due.

    RETURNS (bool): Whether it trimmed.
    """
    return _process_trimmer()()
