"""`annotate_corpus`: one run of the batch runner, from INPUT paths to an
output folder of Parquet blocks and a manifest. The CLI only parses options
and calls this."""
import contextlib
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..about import __version__
from ..errors import GPUUnavailableError
from ..gpu import gpu_problem
from .columns import output_schema
from .inputs import Block, Plan, ReadOptions, Source, find_sources, plan_blocks
from .manifest import read_manifest, run_key, write_manifest
from .model import columns_for_model, model_path, pipeline_hash
from .pipe_batches import DEFAULT_BATCH_CHARS
from .progress import Progress
from .writer import BlockAssembler, block_path, is_written, remove_stale_temporaries

DEFAULT_ROWS_PER_FILE = 1000
DEFAULT_MAX_CHARS = 100_000


class UsageError(Exception):
    """Options that cannot work together (exit code 2)."""


class LostRowsError(Exception):
    """Rows out differ from rows in: a bug, never a silent loss (exit 3)."""


@dataclass
class RunSettings:
    """How to run: everything but the inputs, output and model."""

    text_column: str = "text"
    id_column: str = "id"
    workers: Optional[int] = None
    cpus_per_worker: Optional[float] = None
    gpus_per_worker: float = 0.0
    batch_size: int = 32
    batch_chars: int = DEFAULT_BATCH_CHARS
    address: Optional[str] = None
    local: bool = False
    resume: bool = False
    limit: Optional[int] = None
    max_chars: Optional[int] = DEFAULT_MAX_CHARS
    rows_per_file: int = DEFAULT_ROWS_PER_FILE
    object_store_memory: Optional[int] = None
    threads: Optional[int] = None


@dataclass
class RunSummary:
    """What a run did; `rows_in == rows_out` always holds for a finished run."""

    output: Path
    rows_in: int
    rows_out: int
    errors: int
    blocks: int
    blocks_written: int
    blocks_resumed: int
    tokens: int
    seconds: float
    manifest: Dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def _check_settings(settings: RunSettings) -> None:
    for name in ("batch_size", "batch_chars", "rows_per_file"):
        if getattr(settings, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if settings.workers is not None and settings.workers < 1:
        raise UsageError("--workers must be at least 1")
    if settings.limit is not None and settings.limit < 0:
        raise UsageError("--limit must be 0 or more")
    if settings.max_chars is not None and settings.max_chars < 1:
        raise UsageError("--max-chars must be at least 1")
    if settings.gpus_per_worker < 0:
        raise UsageError("--gpus-per-worker must be 0 or more")
    if settings.threads is not None and settings.threads < 1:
        raise UsageError("--threads must be at least 1")
    if settings.local and settings.address:
        raise UsageError("--local and --address exclude each other")


def _runs_on_this_machine(settings: RunSettings) -> bool:
    """--local, or a local Ray this run starts (ray.init honours RAY_ADDRESS
    and a Ray already initialized in this process is used as it is)."""
    if settings.local:
        return True
    if settings.address is not None or os.environ.get("RAY_ADDRESS"):
        return False
    ray = sys.modules.get("ray")
    return ray is None or not ray.is_initialized()


def _check_gpu_here(settings: RunSettings) -> bool:
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


def _describe_sources(sources: Sequence[Source], plan: Optional[Plan] = None) -> List[Dict[str, Any]]:
    described = []
    for source in sources:
        paths = [Path(source.path) / f for f in source.files] if source.kind == "txt" else [Path(source.path)]
        stats = [p.stat() for p in paths]
        item: Dict[str, Any] = {
            "path": source.path,
            "kind": source.kind,
            "label": source.label,
            "files": len(paths),
            "bytes": sum(s.st_size for s in stats),
            "mtime": max((s.st_mtime for s in stats), default=0.0),
        }
        if plan is not None:
            item["rows"] = plan.rows_per_source.get(source.label, 0)
        described.append(item)
    return described


def _count_output(output: Path, blocks: List[Block]) -> Dict[str, int]:
    rows = errors = 0
    for block in blocks:
        table = pq.read_table(block_path(output, block), columns=["error"])
        rows += table.num_rows
        errors += table.num_rows - pc.sum(pc.is_null(table.column("error"))).as_py() if table.num_rows else 0
    return {"rows": rows, "errors": errors}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def annotate_corpus(
    inputs: Sequence[Path],
    output: Path,
    *,
    model: Optional[str] = None,
    settings: Optional[RunSettings] = None,
    progress: Optional[Callable[[int], Progress]] = None,
    log: Callable[[str], None] = lambda line: None,
    annotator: Optional[type] = None,
) -> RunSummary:
    """Annotate every document of `inputs` into Parquet files under `output`.

    inputs (Sequence[Path]): Parquet / JSON-lines files, folders, archives.
    output (Path): The output folder (created; must be empty unless resuming).
    model (Optional[str]): Pipeline directory or package; None: the default.
    settings (RunSettings): Columns, workers, Ray, resume, limits.
    progress (Callable[[int], Progress]): Builds the progress reporter for a
        number of rows; default: a bar on a terminal, plain lines otherwise.
    log (Callable[[str], None]): Receives one-line notes (resumed blocks...).
    annotator (Optional[type]): The Ray actor class (tests swap it).
    RETURNS (RunSummary): Counts and timing; the same is in `_manifest.json`.
    """
    settings = settings or RunSettings()
    _check_settings(settings)
    gpu_checked = _check_gpu_here(settings)
    started, started_at = time.monotonic(), _now()
    read_options = ReadOptions(text_column=settings.text_column, id_column=settings.id_column)
    sources = find_sources(list(inputs))
    mpath = model_path(model)
    model_hash = pipeline_hash(mpath)
    spec = columns_for_model(model)
    schema = output_schema(spec)
    key = run_key(
        _describe_sources(sources),
        {
            "text_column": settings.text_column,
            "id_column": settings.id_column,
            "limit": settings.limit,
            "max_chars": settings.max_chars,
            "rows_per_file": settings.rows_per_file,
        },
        model_hash,
    )
    output.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(output)
    leftovers = sorted(output.glob("part-*.parquet"))
    rows_per_block = None
    if settings.resume and previous is not None:
        if previous.get("run_key") != key:
            raise UsageError(
                f"{output}: cannot resume: the inputs, options or model differ from the run recorded in "
                f"{output / '_manifest.json'}; use another --output folder"
            )
        rows_per_block = previous["plan"]["rows_per_block"]
    elif (previous is not None or leftovers) and not settings.resume:
        raise UsageError(f"{output}: holds the output of an earlier run; pass --resume to finish it, or choose another folder")
    if settings.resume and previous is None and leftovers:
        raise UsageError(f"{output}: has part files but no _manifest.json to resume from; choose another folder")

    mode = "local" if settings.local else "ray"
    session = contextlib.nullcontext() if settings.local else _ray_session(settings)
    with session:
        workers = (settings.workers or 1) if settings.local else _ray_workers(settings, probe=not gpu_checked)
        plan = plan_blocks(
            sources,
            read_options,
            max_rows_per_block=settings.rows_per_file,
            workers=workers,
            limit=settings.limit,
            rows_per_block=rows_per_block,
        )
        removed = remove_stale_temporaries(output)
        if removed:
            log(f"removed {removed} temporary file(s) of an interrupted run")
        todo = [block for block in plan.blocks if not (settings.resume and is_written(output, block))]
        resumed = len(plan.blocks) - len(todo)
        if resumed:
            log(f"resuming: {resumed} of {len(plan.blocks)} blocks are already written")
        manifest: Dict[str, Any] = {
            "spacy_bert_components": __version__,
            "status": "running",
            "started": started_at,
            "run_key": key,
            "inputs": _describe_sources(sources, plan),
            "model": {"name": model or "default", "path": str(mpath), "hash": model_hash, "columns": spec.names()},
            "options": {
                "text_column": settings.text_column,
                "id_column": settings.id_column,
                "limit": settings.limit,
                "max_chars": settings.max_chars,
                "rows_per_file": settings.rows_per_file,
                "batch_size": settings.batch_size,
                "batch_chars": settings.batch_chars,
            },
            "runner": {
                "mode": mode,
                "workers": workers,
                "gpus_per_worker": settings.gpus_per_worker,
                "address": settings.address,
                "host": platform.node(),
            },
            "plan": {"rows_per_block": plan.rows_per_block, "blocks": len(plan.blocks)},
            "schema": schema.to_string(show_schema_metadata=False),
        }
        write_manifest(output, manifest)
        todo_rows = sum(block.n_rows for block in todo)
        where = "this process" if settings.local else f"{workers} Ray worker(s), each loading the pipeline"
        log(f"{todo_rows} docs in {len(todo)} blocks of up to {plan.rows_per_block}, on {where}")
        reporter = progress(todo_rows) if progress is not None else Progress(todo_rows)

        def on_block(block: Block, table: pa.Table) -> None:
            errors = table.num_rows - table.column("error").is_null().to_pylist().count(True)
            tokens = pc.sum(table.column("n_tokens")).as_py() or 0
            reporter.update(table.num_rows, errors, tokens)

        assembler = BlockAssembler(todo, output, schema, on_block=on_block)
        retried: Dict[str, int] = {}
        run_started = time.monotonic()
        try:
            for table in _annotated_tables(todo, read_options, spec, model, settings, workers, annotator, retried):
                assembler.add(table)
        except BaseException:
            manifest.update(status="interrupted", finished=_now())
            write_manifest(output, manifest)
            raise
        finally:
            reporter.close()
        run_seconds = time.monotonic() - run_started

    if assembler.missing:
        raise LostRowsError(f"blocks never came back from the workers: {', '.join(assembler.missing[:5])}")
    counts = _count_output(output, plan.blocks)
    if counts["rows"] != plan.n_rows:
        raise LostRowsError(f"{plan.n_rows} rows in but {counts['rows']} rows out under {output}")
    seconds = time.monotonic() - started
    summary = RunSummary(
        output=output,
        rows_in=plan.n_rows,
        rows_out=counts["rows"],
        errors=counts["errors"],
        blocks=len(plan.blocks),
        blocks_written=len(todo),
        blocks_resumed=resumed,
        tokens=reporter.counts.tokens,
        seconds=seconds,
    )
    manifest.update(
        status="complete",
        finished=_now(),
        rows={"in": plan.n_rows, "out": counts["rows"], "errors": counts["errors"]},
        blocks={
            "total": len(plan.blocks),
            "written": len(todo),
            "resumed": resumed,
            # Blocks whose worker died while annotating them, annotated again.
            "retried": len(retried),
            "retried_blocks": sorted(retried),
        },
        timing={
            "seconds": round(seconds, 3),
            "annotate_seconds": round(run_seconds, 3),
            "docs_annotated_this_run": todo_rows,
            "docs_per_second": round(todo_rows / run_seconds, 2) if run_seconds > 0 else None,
            "tokens_per_second": round(reporter.counts.tokens / run_seconds, 2) if run_seconds > 0 else None,
        },
    )
    write_manifest(output, manifest)
    summary.manifest = manifest
    return summary


def _ray_session(settings: RunSettings) -> Any:
    from .ray_runner import ray_session

    return ray_session(
        address=settings.address, num_cpus=None, object_store_memory=settings.object_store_memory
    )


def _available_cpus(settings: RunSettings) -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", os.cpu_count() or 1)))


def _ray_workers(settings: RunSettings, *, probe: bool) -> int:
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


def _annotated_tables(
    blocks: List[Block],
    read_options: ReadOptions,
    spec: Any,
    model: Optional[str],
    settings: RunSettings,
    workers: int,
    annotator: Optional[type],
    retried: Dict[str, int],
) -> Iterator[pa.Table]:
    if not blocks:
        return iter(())
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
