"""The C allocator a long run annotates with: jemalloc where it is installed.

glibc's malloc fragments over a long run of new texts: the native
allocations that outlive a batch sit between the pages the batch frees, so
the process's RSS keeps rising unless the free heap is trimmed, and a trim
after every batch makes the next batch fault its working memory in again
(about 30 page faults a word, 10% of the CPU time, more as the heap spreads).
jemalloc hands pages it has not reused for a while back on its own, so its
RSS stays flat with no trims and no faulting storm (docs/batch_runner.md).

A process cannot swap its allocator once it runs, so `spacy-bert annotate`
starts itself again with jemalloc preloaded (`LD_PRELOAD`) when it finds
`libjemalloc` and runs on the C library's malloc; the processes it starts
(the local pool, a local Ray) inherit it. `$SPACY_BERT_ALLOCATOR` picks:
`auto` (the default: jemalloc where found), `system` (the C library's
malloc, trimmed after each batch: `heap.py`), or the path of an allocator
library to preload.
"""

import os
import sys
import sysconfig
from pathlib import Path
from typing import Dict, List, Mapping, Optional

ALLOCATOR_ENV = "SPACY_BERT_ALLOCATOR"
# Set in the restarted process: a library that did not load is not retried.
_RESTARTED_ENV = "SPACY_BERT_ALLOCATOR_RESTARTED"
_KNOWN = ("jemalloc", "tcmalloc", "mimalloc")
_JEMALLOC_NAMES = ("libjemalloc.so.2", "libjemalloc.so")


def loaded_allocator(maps: Optional[str] = None) -> str:
    """The allocator this process runs on.

    maps (Optional[str]): The text of `/proc/self/maps` (tests pass one).
    RETURNS (str): "jemalloc", "tcmalloc" or "mimalloc" where such a library
        is mapped, else "system".
    """
    if maps is None:
        try:
            maps = Path("/proc/self/maps").read_text()
        except OSError:
            return "system"
    for name in _KNOWN:
        if f"lib{name}" in maps:
            return name
    return "system"


def _library_dirs() -> List[Path]:
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = [Path(sys.prefix) / "lib"]
    if os.environ.get("CONDA_PREFIX"):
        dirs.append(Path(os.environ["CONDA_PREFIX"]) / "lib")
    for root in ("/usr/local/lib", "/usr/lib", "/lib"):
        if multiarch:
            dirs.append(Path(root) / multiarch)
        dirs.append(Path(root))
    dirs.append(Path("/usr/lib64"))
    return dirs


def find_jemalloc(dirs: Optional[List[Path]] = None) -> Optional[str]:
    """RETURNS (Optional[str]): The path of an installed libjemalloc (the
    environment's own first, then the system's), or None."""
    for folder in _library_dirs() if dirs is None else dirs:
        for name in _JEMALLOC_NAMES:
            if (folder / name).is_file():
                return str(folder / name)
    return None


def restart_environment(
    environ: Mapping[str, str], loaded: str, jemalloc: Optional[str], platform: str = sys.platform
) -> Optional[Dict[str, str]]:
    """The environment to start this command again in, with an allocator
    preloaded, or None to go on as it is.

    environ (Mapping[str, str]): The process's environment.
    loaded (str): `loaded_allocator()`.
    jemalloc (Optional[str]): `find_jemalloc()`.
    platform (str): `sys.platform`; only Linux preloads.
    RETURNS (Optional[Dict[str, str]]): The new environment, or None.
    """
    choice = environ.get(ALLOCATOR_ENV, "auto").strip() or "auto"
    if choice == "system" or loaded != "system" or environ.get(_RESTARTED_ENV):
        return None
    if choice == "auto":
        if jemalloc is None or not platform.startswith("linux"):
            return None
        library = jemalloc
    else:
        if not Path(choice).is_file():
            raise ValueError(
                f"{ALLOCATOR_ENV}={choice}: no such file; use auto, system or the path of an allocator library"
            )
        library = choice
    preload = " ".join(part for part in (library, environ.get("LD_PRELOAD", "")) if part)
    return {**environ, "LD_PRELOAD": preload, _RESTARTED_ENV: "1"}


def restart_with_allocator() -> None:
    """Start this command again with jemalloc (or `$SPACY_BERT_ALLOCATOR`)
    preloaded, where that applies; else return and go on. Call it first
    thing in a console command: it replaces the process (same PID, same
    arguments)."""
    argv = getattr(sys, "orig_argv", None)  # Python 3.10+: the command line as typed, `-m` included
    environ = restart_environment(os.environ, loaded_allocator(), find_jemalloc())
    if environ is None or not argv:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, environ)
