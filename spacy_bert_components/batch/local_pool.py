"""`--local --workers N`: N processes on this machine, no Ray.

One process with N torch threads speeds up the encoder only; the heads run
on one core. N processes of one thread each keep N cores busy through the
whole pipeline. Each process loads the pipeline once, at its first piece.
This process reads the blocks and hands out pieces of a few batches, a
bounded number in flight, and yields their rows in the order of the blocks.

A process that dies (the OOM killer) breaks the pool: a new pool starts and
the pieces that had not come back are annotated again, so every row comes
out once; their blocks are counted as retried.
"""

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable, Deque, Dict, Iterator, List, Optional

import pyarrow as pa
from spacy.language import Language

from ..corpus.blocks import Block
from ..corpus.readers import READ_SCHEMA, read_block
from ..corpus.sources import ReadOptions
from ..errors import RunFailure
from .columns import ColumnSpec, annotate_table, check_pipeline_columns
from .pipe_batches import DEFAULT_BATCH_CHARS

# Pieces in flight per process: one running, the next ones queued, so a
# process never waits for this one to hand out work.
PIECES_PER_WORKER = 3
# Pool breaks a piece may be in flight for before the run gives up on it.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class PieceSettings:
    """What every process needs to annotate a piece (picklable)."""

    model: Optional[str]
    spec: ColumnSpec
    threads: int
    batch_size: int
    batch_chars: int
    max_chars: Optional[int]


# The pipeline of this worker process, loaded at its first piece.
_NLP: Optional[Language] = None


def _worker_pipeline(settings: PieceSettings) -> Language:
    global _NLP
    if _NLP is None:
        from ..threads import set_compute_threads
        from .model import load_pipeline

        set_compute_threads(settings.threads)
        nlp = load_pipeline(settings.model, worker=True)
        check_pipeline_columns(nlp, settings.spec, settings.model)
        _NLP = nlp
    return _NLP


def annotate_piece(piece: bytes, settings: PieceSettings) -> pa.Table:
    """Annotate rows of READ_SCHEMA (an Arrow IPC stream) in a worker process.

    RETURNS (pa.Table): The rows of `columns.worker_schema(settings.spec)`.
    """
    table = pa.ipc.open_stream(piece).read_all()
    return annotate_table(
        _worker_pipeline(settings),
        table,
        settings.spec,
        batch_size=settings.batch_size,
        batch_chars=settings.batch_chars,
        max_chars=settings.max_chars,
    )


@dataclass
class _Piece:
    block: str
    rows: bytes
    attempts: int = 0
    future: Optional["Future[pa.Table]"] = None


def _to_stream(table: pa.Table) -> bytes:
    # An IPC stream of a slice holds only the slice's rows; pickling a sliced
    # table can carry the whole block's buffers.
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, READ_SCHEMA) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _pieces(blocks: List[Block], read_options: ReadOptions, rows: int) -> Iterator[_Piece]:
    for block in blocks:
        table = read_block(block, read_options)
        for start in range(0, table.num_rows, rows):
            yield _Piece(block.name, _to_stream(table.slice(start, rows)))


def run_pool(
    blocks: List[Block],
    read_options: ReadOptions,
    spec: ColumnSpec,
    *,
    model: Optional[str],
    workers: int,
    threads: Optional[int] = None,
    batch_size: int,
    batch_chars: int = DEFAULT_BATCH_CHARS,
    max_chars: Optional[int],
    retried: Optional[Dict[str, int]] = None,
    task: Optional[Callable[[bytes, PieceSettings], pa.Table]] = None,
) -> Iterator[pa.Table]:
    """Annotate `blocks` on `workers` processes of this machine.

    threads (Optional[int]): torch and BLAS threads per process (default 1).
    batch_size (int): Most docs per `nlp.pipe` batch; a piece is 2 batches.
    retried (Optional[Dict[str, int]]): Filled with the blocks that were in
        flight when a worker process died, and how often.
    task (Optional[Callable]): What a process runs on a piece; default
        `annotate_piece` (tests swap it).
    RETURNS (Iterator[pa.Table]): Rows of `columns.worker_schema(spec)`, in
        the order of the blocks, a block in one or more tables.
    """
    settings = PieceSettings(model, spec, threads or 1, batch_size, batch_chars, max_chars)
    task = task or annotate_piece
    pieces = _pieces(blocks, read_options, rows=2 * batch_size)
    in_flight: Deque[_Piece] = deque()
    # spawn, not fork: this process may hold torch's and Ray's threads.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        while True:
            while len(in_flight) < PIECES_PER_WORKER * workers:
                piece = next(pieces, None)
                if piece is None:
                    break
                piece.attempts += 1
                piece.future = pool.submit(task, piece.rows, settings)
                in_flight.append(piece)
            if not in_flight:
                return
            try:
                table = in_flight[0].future.result()  # type: ignore[union-attr]
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(workers, mp_context=context)
                _resubmit(in_flight, pool, task, settings, retried)
                continue
            in_flight.popleft()
            yield table
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _resubmit(
    in_flight: Deque[_Piece],
    pool: ProcessPoolExecutor,
    task: Callable[[bytes, PieceSettings], pa.Table],
    settings: PieceSettings,
    retried: Optional[Dict[str, int]],
) -> None:
    """Submit every piece whose rows were lost with the old pool to the new one."""
    lost = [piece for piece in in_flight if not _came_back(piece)]
    for block in {piece.block for piece in lost}:
        if retried is not None:
            retried[block] = retried.get(block, 0) + 1
    for piece in lost:
        if piece.attempts >= MAX_ATTEMPTS:
            raise RunFailure(
                f"{piece.block}: a worker process died {piece.attempts} times while its rows were in flight "
                "(out of memory?); lower --batch-size, --batch-chars or --max-chars"
            )
        piece.attempts += 1
        piece.future = pool.submit(task, piece.rows, settings)


def _came_back(piece: _Piece) -> bool:
    future = piece.future
    return future is not None and future.done() and not future.cancelled() and future.exception() is None
