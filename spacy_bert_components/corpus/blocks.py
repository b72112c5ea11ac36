"""Cutting a corpus into blocks, planned once from metadata and cheap scans.

A *block* is a fixed range of one source (rows of a Parquet or JSON-lines
file, files of a `.txt` folder, members of an archive). The same inputs and
options always give the same blocks: that is what makes `--resume` exact.
"""

import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pyarrow as pa

from ..errors import UnreadableInputError
from .sources import ReadOptions, Source, member_is_document


@dataclass(frozen=True)
class Block:
    """A range of one source: rows (or files, or members) [start, stop).

    offset (int): Where reading starts: the byte offset of line `start` in a
        JSON-lines file, of the first member header in a tar; else 0.
    """

    source: Source
    number: int
    start: int
    stop: int
    offset: int = 0

    @property
    def name(self) -> str:
        """RETURNS (str): The block's stable name (also its output file stem)."""
        return f"part-{self.source.key}-{self.number:06d}"

    @property
    def n_rows(self) -> int:
        return self.stop - self.start


@dataclass
class Plan:
    """The blocks of a run, in order, and the sources they came from."""

    sources: List[Source]
    blocks: List[Block]
    rows_per_block: int
    rows_per_source: Dict[str, int] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return sum(block.n_rows for block in self.blocks)


def _count_rows(source: Source, options: ReadOptions, every: int = 1) -> Tuple[int, List[int]]:
    """RETURNS (Tuple[int, List[int]]): The number of rows of a source and, for
    JSON lines and tar, the byte offsets where rows 0, every, 2 * every, ...
    start (only those: a long file costs no memory per row)."""
    path = Path(source.path)
    try:
        if source.kind == "parquet":
            import pyarrow.parquet as pq

            pfile = pq.ParquetFile(path)
            names = pfile.schema_arrow.names
            if options.text_column not in names:
                raise UnreadableInputError(
                    f"{path}: no column '{options.text_column}' (columns: {', '.join(names)}); set --text-column"
                )
            return pfile.metadata.num_rows, []
        if source.kind == "jsonl":
            offsets, n_rows = [], 0
            with path.open("rb") as fileh:
                position = 0
                for line in fileh:
                    if line.strip():
                        if n_rows % every == 0:
                            offsets.append(position)
                        n_rows += 1
                    position += len(line)
            return n_rows, offsets
        if source.kind == "txt":
            return len(source.files), []
        if source.kind == "zip":
            with zipfile.ZipFile(path) as archive:
                return sum(1 for info in archive.infolist() if not info.is_dir()), []
        if source.kind == "tar":
            offsets, n_rows = [], 0
            with tarfile.open(path, "r:*") as archive:
                for info in archive:
                    if member_is_document(info):
                        if n_rows % every == 0:
                            offsets.append(info.offset)
                        n_rows += 1
            return n_rows, offsets
    except UnreadableInputError:
        raise
    except (OSError, EOFError, ValueError, tarfile.TarError, zipfile.BadZipFile, pa.ArrowException) as err:
        raise UnreadableInputError(f"{path}: cannot read {source.kind} input ({err})") from None
    raise ValueError(f"unknown source kind {source.kind}")


def plan_blocks(
    sources: Sequence[Source],
    options: ReadOptions,
    *,
    max_rows_per_block: int,
    workers: int = 1,
    limit: Optional[int] = None,
    rows_per_block: Optional[int] = None,
) -> Plan:
    """Cut the sources into blocks. Unless `rows_per_block` is given (a
    resumed run reuses its first plan), blocks hold `max_rows_per_block` rows,
    fewer for small inputs so that every worker gets several blocks.

    limit (Optional[int]): Keep only the first `limit` rows of all sources.
    RETURNS (Plan): The blocks, in input order.
    """
    scans = [_count_rows(source, options, every=rows_per_block or max_rows_per_block) for source in sources]
    counts: List[int] = []
    remaining = limit
    for n_rows, _ in scans:
        if remaining is not None:
            n_rows = min(n_rows, remaining)
            remaining -= n_rows
        counts.append(n_rows)
    size = rows_per_block or choose_rows_per_block(sum(counts), max_rows=max_rows_per_block, workers=workers)
    blocks: List[Block] = []
    for source, n_rows, (_, offsets) in zip(sources, counts, scans):
        if offsets and size != (rows_per_block or max_rows_per_block):
            offsets = _count_rows(source, options, every=size)[1]  # small input: scan again
        for number, start in enumerate(range(0, n_rows, size)):
            stop = min(start + size, n_rows)
            blocks.append(Block(source, number, start, stop, offsets[number] if offsets else 0))
    return Plan(list(sources), blocks, size, {source.label: n for source, n in zip(sources, counts)})


def choose_rows_per_block(n_rows: int, *, max_rows: int, workers: int) -> int:
    """Small inputs are cut finer, so that every worker gets several blocks.

    RETURNS (int): Rows per block, between 1 and `max_rows`.
    """
    wanted_blocks = max(1, workers) * 4
    return max(1, min(max_rows, -(-n_rows // wanted_blocks)))
