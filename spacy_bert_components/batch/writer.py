"""Writing output blocks: rows come back from the workers in any order and in
pieces; a block's file is written once all its rows are there, atomically
(a temporary name in the same folder, then a rename), so a killed run leaves
only whole files, and a block retried after a worker died is written once."""

import os
import re
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..corpus.blocks import Block

TMP_PATTERN = re.compile(r"^\.part-[0-9a-f]{10}-\d{6}\.parquet\.tmp-\d+$")


def block_path(output: Path, block: Block) -> Path:
    return output / f"{block.name}.parquet"


def is_written(output: Path, block: Block) -> bool:
    """RETURNS (bool): Whether the block's file exists with all its rows."""
    path = block_path(output, block)
    if not path.exists():
        return False
    try:
        return pq.ParquetFile(path).metadata.num_rows == block.n_rows
    except Exception:  # noqa: BLE001 - a damaged file is rewritten
        return False


def remove_stale_temporaries(output: Path) -> int:
    """Remove temporary files left by a killed run (only ours, by name).

    RETURNS (int): How many were removed.
    """
    removed = 0
    for path in output.iterdir():
        if TMP_PATTERN.match(path.name):
            path.unlink()
            removed += 1
    return removed


def write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class BlockAssembler:
    """Collects the annotated rows of each block and writes the block when it
    is complete.

    blocks (List[Block]): The blocks expected in this run.
    output (Path): The output folder.
    schema (pa.Schema): The schema of the output files.
    on_block (Callable[[Block, pa.Table], None]): Called after each write.
    """

    def __init__(
        self,
        blocks: List[Block],
        output: Path,
        schema: pa.Schema,
        on_block: Optional[Callable[[Block, pa.Table], None]] = None,
    ) -> None:
        self.expected: Dict[str, Block] = {block.name: block for block in blocks}
        self.output = output
        self.schema = schema
        self.on_block = on_block
        self.pending: Dict[str, List[pa.Table]] = {}
        self.pending_rows: Dict[str, Set[int]] = {}
        self.done: Dict[str, int] = {}

    def add(self, table: pa.Table) -> None:
        """Take a table of worker rows (one or more blocks, or part of one)."""
        if table.num_rows == 0:
            return
        names = table.column("block").unique().to_pylist()
        for name in names:
            part = table.filter(pc.equal(table.column("block"), name)) if len(names) > 1 else table
            if name in self.done or name not in self.expected:
                continue  # a retried block that was already written
            self.pending.setdefault(name, []).append(part)
            self.pending_rows.setdefault(name, set()).update(part.column("index").to_pylist())
            block = self.expected[name]
            if len(self.pending_rows[name]) >= block.n_rows:
                self._write(block)

    def _write(self, block: Block) -> None:
        table = pa.concat_tables(self.pending.pop(block.name))
        del self.pending_rows[block.name]
        # A retried piece could arrive twice: keep one row per index.
        table = table.sort_by("index")
        indices = table.column("index").to_pylist()
        if len(set(indices)) != len(indices):
            keep = [i for i, idx in enumerate(indices) if i == 0 or indices[i - 1] != idx]
            table = table.take(keep)
        if table.num_rows != block.n_rows:
            raise RuntimeError(f"{block.name}: {table.num_rows} rows for {block.n_rows} inputs")
        table = table.select(self.schema.names).cast(self.schema)
        write_atomic(table, block_path(self.output, block))
        self.done[block.name] = table.num_rows
        if self.on_block is not None:
            self.on_block(block, table)

    @property
    def missing(self) -> List[str]:
        return [name for name in self.expected if name not in self.done]
