"""Running a planned run's blocks: in this process (`--local`), in a pool of
processes on this machine (the default), or on Ray workers (`--address`,
GPUs), with the Ray session and the number of workers it needs. Only
annotation happens here; writing and counting are the runner's."""

import contextlib
import dataclasses
import math
import os
import sys
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa

from ..corpus.blocks import Block
from ..errors import GPUUnavailableError, UsageError
from ..gpu import gpu_problem
from .plan import RunPlan, RunSettings


def uses_ray(settings: RunSettings) -> bool:
    """Whether Ray runs the work: `--address` (or `RAY_ADDRESS`), a Ray
    already initialized in this process, or the Ray resources
    `--gpus-per-worker` / `--cpus-per-worker`. Otherwise this machine's
    processes do: this one (`--local`), or a pool of them."""
    if settings.local:
        return False
    if settings.address is not None or os.environ.get("RAY_ADDRESS"):
        return True
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return True
    return settings.gpus_per_worker > 0 or settings.cpus_per_worker is not None


def with_runner(settings: RunSettings) -> RunSettings:
    """RETURNS (RunSettings): The settings with the runner decided: where
    Ray does not run the work, a local pool of `--workers` processes (one
    per CPU by default) of one thread each, which keeps every core busy
    through the heads without Ray's start (seconds and GBs on a small
    machine)."""
    if settings.local or uses_ray(settings):
        return settings
    return dataclasses.replace(settings, local=True, workers=settings.workers or local_cpus())


def local_cpus() -> int:
    """RETURNS (int): The CPUs this process may run on (its affinity, which
    containers and `taskset` narrow; os.cpu_count elsewhere)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _runs_on_this_machine(settings: RunSettings) -> bool:
    """--local, or a local Ray this run starts (ray.init honours RAY_ADDRESS
    and a Ray already initialized in this process is used as it is)."""
    if settings.local:
        return True
    if settings.address is not None or os.environ.get("RAY_ADDRESS"):
        return False
    ray = sys.modules.get("ray")
    return ray is None or not ray.is_initialized()


def check_gpu_here(settings: RunSettings) -> bool:
    """Check this machine's GPU when the work runs here, before the output
    folder exists and before Ray starts: a machine without a usable GPU
    fails at once and leaves nothing behind.

    RETURNS (bool): Whether this machine was checked.
    """
    if settings.gpus_per_worker <= 0 or not _runs_on_this_machine(settings):
        return False
    problem = gpu_problem(0)
    if problem is not None:
        raise GPUUnavailableError(f"--gpus-per-worker {settings.gpus_per_worker:g} on this machine: {problem}")
    return True


def gpu_workers(gpus_per_worker: float, cluster_gpus: float, *, requested: Optional[int], cpu_workers: int) -> int:
    """How many Ray workers of `gpus_per_worker` GPUs the cluster holds.

    gpus_per_worker (float): --gpus-per-worker, > 0.
    cluster_gpus (float): The GPUs of the Ray cluster (`ray.cluster_resources()`).
    requested (Optional[int]): --workers; None picks as many as the GPUs hold.
    cpu_workers (int): The default without GPUs, one per CPU: the upper bound.
    RETURNS (int): The number of workers.
    """
    if cluster_gpus < gpus_per_worker:
        raise UsageError(
            f"--gpus-per-worker {gpus_per_worker:g}: the Ray cluster has {cluster_gpus:g} GPU(s); "
            "run on a cluster with GPUs, or without --gpus-per-worker"
        )
    # The epsilon: 1.0 / 0.1 workers must be 10, not 9.
    fit = int(math.floor(cluster_gpus / gpus_per_worker + 1e-9))
    if requested is not None and requested > fit:
        raise UsageError(
            f"--workers {requested} x --gpus-per-worker {gpus_per_worker:g} needs {requested * gpus_per_worker:g} GPUs; "
            f"the Ray cluster has {cluster_gpus:g}: lower --workers or --gpus-per-worker"
        )
    # One worker per CPU would leave all but `fit` of them waiting for a GPU.
    return requested or max(1, min(cpu_workers, fit))


def run_session(settings: RunSettings) -> Any:
    """RETURNS (ContextManager): The run's Ray session; none for --local."""
    if settings.local:
        return contextlib.nullcontext()
    from ..ray_session import ray_session

    return ray_session(address=settings.address, num_cpus=None, object_store_memory=settings.object_store_memory)


def _available_cpus(settings: RunSettings) -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", os.cpu_count() or 1)))


def worker_count(settings: RunSettings, *, probe: bool) -> int:
    """RETURNS (int): The run's workers: --workers, or one per CPU of the
    Ray cluster (1 for --local), no more than its GPUs hold.

    probe (bool): Check a cluster node's GPU first (when this machine's was
        not checked).
    """
    if settings.local:
        return settings.workers or 1
    workers = settings.workers or _available_cpus(settings)
    if settings.gpus_per_worker <= 0:
        return workers
    import ray

    from .ray_runner import ray_gpu_problem

    cluster_gpus = ray.cluster_resources().get("GPU", 0.0)
    workers = gpu_workers(settings.gpus_per_worker, cluster_gpus, requested=settings.workers, cpu_workers=workers)
    # On a cluster, one task on a GPU before any work: a node without cupy
    # then fails here, in one line, rather than in every worker.
    problem = ray_gpu_problem(settings.gpus_per_worker) if probe else None
    if problem is not None:
        raise GPUUnavailableError(f"--gpus-per-worker {settings.gpus_per_worker:g}: {problem}")
    return workers


def annotated_tables(
    plan: RunPlan,
    blocks: List[Block],
    *,
    workers: int,
    annotator: Optional[type],
    retried: Dict[str, int],
) -> Iterator[pa.Table]:
    """Annotate `blocks` in this process (--local), in a pool of processes
    on this machine (--local with more than one worker, no GPU) or on the Ray
    session's workers; nothing else: the caller writes and counts.

    annotator (Optional[type]): The Ray actor class (tests swap it).
    retried (Dict[str, int]): Filled with the blocks a worker died on.
    RETURNS (Iterator[pa.Table]): Rows of `columns.worker_schema(plan.spec)`,
        in any order, a block in one or more tables.
    """
    settings, read_options, spec, model = plan.settings, plan.read_options, plan.spec, plan.model
    if not blocks:
        return iter(())
    if settings.local and workers > 1 and settings.gpus_per_worker <= 0:
        from .local_pool import run_pool

        return run_pool(
            blocks,
            read_options,
            spec,
            model=model,
            workers=workers,
            threads=settings.threads,
            batch_size=settings.batch_size,
            batch_chars=settings.batch_chars,
            max_chars=settings.max_chars,
            retried=retried,
        )
    if settings.local:
        from .local import run_local

        return run_local(
            blocks,
            read_options,
            spec,
            model=model,
            batch_size=settings.batch_size,
            batch_chars=settings.batch_chars,
            max_chars=settings.max_chars,
            gpus_per_worker=settings.gpus_per_worker,
            threads=settings.threads,
        )
    import ray

    from .ray_runner import Annotator, run_ray

    cpus = settings.cpus_per_worker
    if cpus is None:
        # A fraction: the read tasks need a little CPU left over (see
        # ray_runner.READ_TASK_CPUS); 90% of an even share per worker.
        total = ray.cluster_resources().get("CPU", 1.0)
        cpus = round(max(0.1, 0.9 * total / workers), 2)
    return run_ray(
        blocks,
        read_options,
        spec,
        model=model,
        workers=workers,
        cpus_per_worker=cpus,
        gpus_per_worker=settings.gpus_per_worker,
        batch_size=settings.batch_size,
        batch_chars=settings.batch_chars,
        max_chars=settings.max_chars,
        annotator=annotator or Annotator,
        threads=settings.threads,
        retried=retried,
    )
