"""Finding the documents of a corpus: the sources (a Parquet or JSON-lines
file, a folder of `.txt` files, a `.zip` / `.tar` archive) behind the paths a
user gives, and how their rows are read (text and id columns)."""

import hashlib
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..errors import UnreadableInputError

PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
TXT_SUFFIXES = (".txt",)
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")


@dataclass(frozen=True)
class Source:
    """One input to read: a file, or the `.txt` files of one folder.

    kind (str): "parquet", "jsonl", "txt", "zip" or "tar".
    path (str): The file (or the folder, for "txt").
    label (str): Stable name used in ids and block names (path relative to the
        argument it came from).
    files (Tuple[str, ...]): For "txt": the files, relative to `path`.
    """

    kind: str
    path: str
    label: str
    files: Tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """RETURNS (str): Short stable hash of kind and label, for file names."""
        return hashlib.sha1(f"{self.kind}:{self.label}".encode("utf8")).hexdigest()[:10]


@dataclass
class ReadOptions:
    """How rows are read: the text and id column or field names."""

    text_column: str = "text"
    id_column: str = "id"


def _suffix_kind(path: Path) -> Optional[str]:
    name = path.name.lower()
    for kind, suffixes in (
        ("parquet", PARQUET_SUFFIXES),
        ("jsonl", JSONL_SUFFIXES),
        ("txt", TXT_SUFFIXES),
        ("zip", ZIP_SUFFIXES),
        ("tar", TAR_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    return None


def find_sources(paths: Sequence[Path]) -> List[Source]:
    """Expand the INPUT arguments into sources. A folder contributes each of
    its Parquet, JSON-lines and archive files, and all its `.txt` files as one
    source; hidden files and files starting with "_" are skipped.

    paths (Sequence[Path]): The INPUT arguments.
    RETURNS (List[Source]): The sources, in a stable order.
    """
    sources: List[Source] = []
    for path in paths:
        if not path.exists():
            raise UnreadableInputError(f"{path}: no such file or folder")
        if path.is_file():
            kind = _suffix_kind(path)
            if kind is None:
                raise UnreadableInputError(
                    f"{path}: unknown input type; expected .parquet, .jsonl, .txt, .zip, .tar or .tar.gz"
                )
            if kind == "txt":
                sources.append(Source("txt", str(path.parent), path.name, (path.name,)))
            else:
                sources.append(Source(kind, str(path), path.name))
            continue
        texts: List[str] = []
        found = False
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = file.relative_to(path)
            if any(part.startswith((".", "_")) for part in rel.parts):
                continue
            kind = _suffix_kind(file)
            if kind is None:
                continue
            found = True
            if kind == "txt":
                texts.append(rel.as_posix())
            else:
                sources.append(Source(kind, str(file), f"{path.name}/{rel.as_posix()}"))
        if texts:
            sources.append(Source("txt", str(path), path.name + "/", tuple(texts)))
        if not found:
            raise UnreadableInputError(f"{path}: the folder holds no .parquet, .jsonl, .txt or archive files")
    return sources


def member_is_document(info: tarfile.TarInfo) -> bool:
    # Folders are not documents; every other member (files, links, ...) is one
    # row, links and devices as error rows: they are never followed.
    return not info.isdir()
