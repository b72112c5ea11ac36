"""Handing the heap a batch freed back to the operating system.

A batch's docs and tensors are freed when its rows are made, but glibc keeps
the freed pages in its arenas, fragmented between the small objects that
outlive the batch: over a long run the process's RSS creeps up although
Python's objects, spaCy's strings and torch's tensors stay flat.
`malloc_trim(0)` returns the free pages of every arena. Elsewhere (macOS,
musl) there is no such call and nothing is done.
"""

import ctypes
import sys
from functools import lru_cache
from typing import Callable, Optional


@lru_cache(maxsize=1)
def _malloc_trim() -> Optional[Callable[[int], int]]:
    if not sys.platform.startswith("linux"):
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
