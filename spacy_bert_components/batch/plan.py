"""What a run of `spacy-bert annotate` will do, built and checked before
anything runs: its settings, inputs, model, output columns, resume policy,
blocks and the manifest that records them."""

import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pyarrow as pa

from ..about import __version__
from ..corpus.blocks import Block, Plan, plan_blocks
from ..corpus.sources import ReadOptions, Source, find_sources
from ..errors import UsageError
from ..pipeline import require_encoder
from .allocator import loaded_allocator
from .columns import ColumnSpec, output_schema
from .manifest import MANIFEST_NAME, read_manifest, run_key
from .model import columns_for_model, model_path, pipeline_hash
from .pipe_batches import DEFAULT_BATCH_CHARS
from .writer import is_written

DEFAULT_ROWS_PER_FILE = 1000
DEFAULT_MAX_CHARS = 100_000


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

    def output_options(self) -> Dict[str, Any]:
        """RETURNS (Dict[str, Any]): The options that decide the output rows
        (part of the run key: a resumed run must have the same)."""
        return {
            "text_column": self.text_column,
            "id_column": self.id_column,
            "limit": self.limit,
            "max_chars": self.max_chars,
            "rows_per_file": self.rows_per_file,
        }


def check_settings(settings: RunSettings) -> None:
    """Raise a UsageError naming the option for settings that cannot work."""
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


@dataclass
class RunPlan:
    """A run, checked: what it reads, with which model, into which columns,
    and whether it resumes an earlier run in the same output folder."""

    output: Path
    settings: RunSettings
    sources: List[Source]
    model: Optional[str]
    model_path: Path
    model_hash: str
    spec: ColumnSpec
    schema: pa.Schema
    key: str
    # The block size of the run being resumed, so its blocks are cut again.
    resumed_rows_per_block: Optional[int] = None

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(text_column=self.settings.text_column, id_column=self.settings.id_column)


def plan_run(inputs: Sequence[Path], output: Path, model: Optional[str], settings: RunSettings) -> RunPlan:
    """Check the settings, find the inputs and the model, and decide whether
    the output folder may be written or resumed. Writes nothing.

    RETURNS (RunPlan): The checked plan.
    """
    check_settings(settings)
    sources = find_sources(list(inputs))
    path = model_path(model)
    # The workers load the pipeline; a missing encoder fails here, once.
    require_encoder(path)
    model_hash = pipeline_hash(path)
    spec = columns_for_model(model)
    key = run_key(describe_sources(sources), settings.output_options(), model_hash)
    plan = RunPlan(output, settings, sources, model, path, model_hash, spec, output_schema(spec), key)
    previous = read_manifest(output) if output.is_dir() else None
    leftovers = sorted(output.glob("part-*.parquet")) if output.is_dir() else []
    if settings.resume and previous is not None:
        if previous.get("run_key") != key:
            raise UsageError(
                f"{output}: cannot resume: the inputs, options or model differ from the run recorded in "
                f"{output / MANIFEST_NAME}; use another --output folder"
            )
        plan.resumed_rows_per_block = previous["plan"]["rows_per_block"]
    elif (previous is not None or leftovers) and not settings.resume:
        raise UsageError(
            f"{output}: holds the output of an earlier run; pass --resume to finish it, or choose another folder"
        )
    if settings.resume and previous is None and leftovers:
        raise UsageError(f"{output}: has part files but no {MANIFEST_NAME} to resume from; choose another folder")
    return plan


def plan_run_blocks(plan: RunPlan, workers: int) -> Plan:
    """RETURNS (Plan): The run's blocks, cut for `workers` (the same blocks
    as the run being resumed, when resuming)."""
    return plan_blocks(
        plan.sources,
        plan.read_options,
        max_rows_per_block=plan.settings.rows_per_file,
        workers=workers,
        limit=plan.settings.limit,
        rows_per_block=plan.resumed_rows_per_block,
    )


def blocks_to_annotate(plan: RunPlan, blocks: Plan) -> List[Block]:
    """RETURNS (List[Block]): The blocks not yet written (all, unless resuming)."""
    return [block for block in blocks.blocks if not (plan.settings.resume and is_written(plan.output, block))]


def describe_sources(sources: Sequence[Source], blocks: Optional[Plan] = None) -> List[Dict[str, Any]]:
    """RETURNS (List[Dict[str, Any]]): Each source's path, kind, size and
    time of change (and rows, given the blocks): what the run key hashes."""
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
        if blocks is not None:
            item["rows"] = blocks.rows_per_source.get(source.label, 0)
        described.append(item)
    return described


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def start_manifest(plan: RunPlan, blocks: Plan, *, workers: int, started: str) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): The manifest of a run that starts now."""
    settings = plan.settings
    return {
        "spacy_bert_components": __version__,
        "status": "running",
        "started": started,
        "run_key": plan.key,
        "inputs": describe_sources(plan.sources, blocks),
        "model": {
            "name": plan.model or "default",
            "path": str(plan.model_path),
            "hash": plan.model_hash,
            "columns": plan.spec.names(),
        },
        "options": dict(settings.output_options(), batch_size=settings.batch_size, batch_chars=settings.batch_chars),
        "runner": {
            "mode": "local" if settings.local else "ray",
            "workers": workers,
            "gpus_per_worker": settings.gpus_per_worker,
            "address": settings.address,
            "host": platform.node(),
            "allocator": loaded_allocator(),
        },
        "plan": {"rows_per_block": blocks.rows_per_block, "blocks": len(blocks.blocks)},
        "schema": plan.schema.to_string(show_schema_metadata=False),
    }
