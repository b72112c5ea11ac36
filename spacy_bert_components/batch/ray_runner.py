"""The Ray layer, and only wiring: read blocks (a Ray Data datasource, one
read task per block) -> `map_batches` over a pool of annotator actors -> the
driver, which writes each block. Each actor loads the pipeline itself: no
pipeline travels through the object store, only Arrow tables.
"""

import functools
import logging
import re
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa
from ray.data import Datasource, ReadTask
from ray.data.block import BlockMetadata

from ..corpus.blocks import Block
from ..corpus.readers import READ_SCHEMA, read_block
from ..corpus.sources import ReadOptions
from ..errors import GPUUnavailableError
from .columns import ColumnSpec, annotate_table, check_pipeline_columns
from .pipe_batches import DEFAULT_BATCH_CHARS

# Read tasks are light (a few ms of I/O per block). Reserving a whole CPU for
# each would leave none for them once the actors hold the cores, and the run
# hangs on a small machine: both take fractions.
READ_TASK_CPUS = 0.05


def quiet_ray_data() -> None:
    """Ray Data's progress bars and per-run logs off: we report progress."""
    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.verbose_stats_logs = False
    context.enable_operator_progress_bars = False
    # The issue detectors warn that read tasks ask for no memory; they are
    # small by design (one block), so the warning is noise here.
    context.issue_detectors_config.detectors = []
    # Ray Data logs a warning that its progress bars are off: they are, on
    # purpose. Its real failures reach us as exceptions.
    logging.getLogger("ray.data").setLevel(logging.ERROR)


def _node_gpu_problem(gpu_id: int) -> Optional[str]:
    import ray.util

    from ..gpu import gpu_problem

    problem = gpu_problem(gpu_id)
    return None if problem is None else f"Ray node {ray.util.get_node_ip_address()}: {problem}"


def ray_gpu_problem(gpus: float) -> Optional[str]:
    """`gpu.gpu_problem` as an annotator sees it: in a Ray task that holds
    `gpus` GPUs, on a node the cluster picks.

    RETURNS (Optional[str]): One line naming the node and what it lacks, or
        None when spaCy can run on its GPU there.
    """
    import ray

    # Ray sets CUDA_VISIBLE_DEVICES to the GPU it reserves: device 0 there.
    probe = ray.remote(num_cpus=READ_TASK_CPUS, num_gpus=gpus, max_retries=0)(_node_gpu_problem)
    return ray.get(probe.remote(0))


def worker_gpu_problem(err: BaseException) -> Optional[str]:
    """The GPUUnavailableError message behind a Ray error, or None.

    An actor that fails in `__init__` reaches the driver as an ActorDiedError
    that keeps only the text of the worker's traceback, not the exception:
    the message is read from that text.
    """
    seen = set()
    current: Optional[BaseException] = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, GPUUnavailableError):
            return str(current).splitlines()[0] if str(current) else None
        found = re.findall(rf"{GPUUnavailableError.__name__}: ([^\n]+)", str(current))
        if found:
            return found[-1].strip()
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else (current.__cause__ or current.__context__)
    return None


class BlockDatasource(Datasource):
    """A Ray Data datasource of planned blocks: one read task per block, so
    Ray never cuts or merges blocks and every worker can get work."""

    def __init__(self, blocks: List[Block], options: ReadOptions) -> None:
        super().__init__()
        self.blocks = blocks
        self.options = options

    def estimate_inmemory_data_size(self) -> Optional[int]:
        return None

    def get_name(self) -> str:
        return "AnnotateInputs"

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: Optional[int] = None, data_context: Any = None
    ) -> List[ReadTask]:
        tasks = []
        for block in self.blocks:
            metadata = BlockMetadata(
                num_rows=block.n_rows, size_bytes=None, exec_stats=None, input_files=(block.source.path,)
            )
            read = functools.partial(_read_blocks, block, self.options)
            tasks.append(ReadTask(read, metadata, schema=READ_SCHEMA))
        return tasks


def _read_blocks(block: Block, options: ReadOptions) -> List[pa.Table]:
    return [read_block(block, options)]


class BlockAttempts:
    """A Ray actor that counts how often each block's annotation started.

    Ray restarts an annotator whose process died (out of memory, a lost node)
    and runs its blocks again; only a count kept outside the workers sees
    that a block took two attempts.
    """

    def __init__(self) -> None:
        self.counts: Dict[str, int] = {}

    def start(self, names: List[str]) -> None:
        for name in names:
            self.counts[name] = self.counts.get(name, 0) + 1

    def retried(self) -> Dict[str, int]:
        """RETURNS (Dict[str, int]): Retries (attempts - 1) of each block
        annotated more than once."""
        return {name: count - 1 for name, count in self.counts.items() if count > 1}


class Annotator:
    """The actor of `map_batches`: loads the pipeline once, in the worker,
    then annotates each block it is given.

    model (Optional[str]): Pipeline path or package, None for the default.
    spec (ColumnSpec): The columns the driver expects.
    gpus (float): GPUs reserved per worker; > 0 moves spaCy to the GPU.
    attempts (Optional[ActorHandle]): A `BlockAttempts` actor told of each
        block before it is annotated.
    """

    def __init__(
        self,
        model: Optional[str],
        spec: ColumnSpec,
        gpus: float,
        batch_size: int,
        max_chars: Optional[int],
        threads: int = 1,
        batch_chars: int = DEFAULT_BATCH_CHARS,
        attempts: Any = None,
    ) -> None:
        from ..gpu import require_gpu
        from ..threads import set_compute_threads
        from .model import load_pipeline

        # As many torch and BLAS threads as whole CPUs reserved: workers must
        # not fight over the cores they share.
        set_compute_threads(threads)
        if gpus > 0:
            # Ray sets CUDA_VISIBLE_DEVICES to the GPU it reserved for this
            # actor, so that GPU is device 0 here.
            require_gpu(0)
        self.nlp = load_pipeline(model, worker=True)
        check_pipeline_columns(self.nlp, spec, model)
        self.spec = spec
        self.batch_size = batch_size
        self.batch_chars = batch_chars
        self.attempts = attempts
        self.max_chars = max_chars

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self.attempts is not None:
            import ray

            ray.get(self.attempts.start.remote(batch.column("block").unique().to_pylist()))
        return annotate_table(
            self.nlp,
            batch,
            self.spec,
            batch_size=self.batch_size,
            batch_chars=self.batch_chars,
            max_chars=self.max_chars,
        )


def run_ray(
    blocks: List[Block],
    read_options: ReadOptions,
    spec: ColumnSpec,
    *,
    model: Optional[str],
    workers: int,
    cpus_per_worker: float,
    gpus_per_worker: float,
    batch_size: int,
    max_chars: Optional[int],
    annotator: type = Annotator,
    batch_chars: int = DEFAULT_BATCH_CHARS,
    threads: Optional[int] = None,
    retried: Optional[Dict[str, int]] = None,
) -> Iterator[pa.Table]:
    """Annotate the blocks on the Ray session of this process.

    retried (Optional[Dict[str, int]]): Filled once every block is back with
        the retries of each block whose worker died while annotating it.
    RETURNS (Iterator[pa.Table]): Annotated rows as they come back, of
    `columns.worker_schema(spec)`, in no particular order.
    """
    import ray
    import ray.data

    quiet_ray_data()
    # No CPU: it only counts, and must not wait for a core the workers hold.
    attempts = ray.remote(num_cpus=0)(BlockAttempts).remote()
    dataset = ray.data.read_datasource(
        BlockDatasource(blocks, read_options),
        override_num_blocks=len(blocks),
        num_cpus=READ_TASK_CPUS,
        # Each concurrent read task is a Ray worker process (~250 MB, seconds
        # to start on a busy machine); a block reads in milliseconds, so a
        # few readers feed many annotators.
        concurrency=max(1, min(4, workers // 2)),
    )
    # One whole block per call. Ray Data refuses batch_size=None once GPUs
    # are requested: the largest block then, and the driver's assembler
    # regroups rows should a batch mix or cut blocks.
    batch_rows = max(block.n_rows for block in blocks) if gpus_per_worker > 0 else None
    dataset = dataset.map_batches(
        annotator,
        batch_size=batch_rows,
        batch_format="pyarrow",
        zero_copy_batch=True,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=cpus_per_worker,
        num_gpus=gpus_per_worker or None,
        fn_constructor_kwargs={
            "model": model,
            "spec": spec,
            "gpus": gpus_per_worker,
            "batch_size": batch_size,
            "batch_chars": batch_chars,
            "attempts": attempts,
            "max_chars": max_chars,
            "threads": threads or max(1, int(round(cpus_per_worker))),
        },
    )
    try:
        yield from dataset.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=1)
        if retried is not None:
            retried.update(ray.get(attempts.retried.remote()))
    except Exception as err:
        problem = worker_gpu_problem(err)
        if problem is None:
            raise
        # One line for the user, not the pages of Ray's wrapped traceback.
        raise GPUUnavailableError(f"a Ray worker cannot use its GPU: {problem}") from None
