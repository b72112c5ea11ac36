"""`--local`: read, annotate and hand back blocks in this process, no Ray."""

import gc
from typing import Iterator, List, Optional

import pyarrow as pa

from ..corpus.blocks import Block
from ..corpus.readers import read_block
from ..corpus.sources import ReadOptions
from ..gpu import require_gpu
from ..threads import set_compute_threads
from .columns import ColumnSpec, annotate_table
from .model import load_pipeline
from .pipe_batches import DEFAULT_BATCH_CHARS


def run_local(
    blocks: List[Block],
    read_options: ReadOptions,
    spec: ColumnSpec,
    *,
    model: Optional[str],
    batch_size: int,
    batch_chars: int = DEFAULT_BATCH_CHARS,
    max_chars: Optional[int],
    gpus_per_worker: float = 0.0,
    threads: Optional[int] = None,
) -> Iterator[pa.Table]:
    """Yield the annotated rows of each block, in order.

    threads (Optional[int]): torch and BLAS threads; None keeps their
        default (one per core), which is slow on cores other processes keep busy.
    RETURNS (Iterator[pa.Table]): Tables of `columns.worker_schema(spec)`.
    """
    if threads is not None:
        set_compute_threads(threads)
    if gpus_per_worker > 0:
        require_gpu(0)
    nlp = load_pipeline(model, worker=True)
    try:
        for block in blocks:
            yield annotate_table(
                nlp,
                read_block(block, read_options),
                spec,
                batch_size=batch_size,
                batch_chars=batch_chars,
                max_chars=max_chars,
            )
    finally:
        # This process lives on (the CLI's or a caller's): give the collector
        # back what load_pipeline froze.
        gc.unfreeze()
