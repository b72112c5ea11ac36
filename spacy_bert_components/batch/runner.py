"""`annotate_corpus`: one run of the batch runner, from INPUT paths to an
output folder of Parquet blocks and a manifest. The CLI only parses options
and calls this. The run is planned and checked first (`plan.py`), its blocks
annotated by an executor (`execute.py`), and each block written as it is
complete (`writer.py`); rows in and rows out are counted here."""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..corpus.blocks import Block, Plan
from ..errors import LostRowsError
from .execute import (
    annotated_tables,
    check_gpu_here,
    run_session,
    with_runner,
    worker_count,
)
from .manifest import write_manifest
from .plan import (
    RunPlan,
    RunSettings,
    blocks_to_annotate,
    check_settings,
    now,
    plan_run,
    plan_run_blocks,
    start_manifest,
)
from .progress import Progress
from .writer import BlockAssembler, block_path, remove_stale_temporaries


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
    check_settings(settings)
    gpu_checked = check_gpu_here(settings)
    settings = with_runner(settings)
    started, started_at = time.monotonic(), now()
    plan = plan_run(inputs, output, model, settings)
    output.mkdir(parents=True, exist_ok=True)
    with run_session(settings):
        workers = worker_count(settings, probe=not gpu_checked)
        blocks = plan_run_blocks(plan, workers)
        removed = remove_stale_temporaries(output)
        if removed:
            log(f"removed {removed} temporary file(s) of an interrupted run")
        todo = blocks_to_annotate(plan, blocks)
        resumed = len(blocks.blocks) - len(todo)
        if resumed:
            log(f"resuming: {resumed} of {len(blocks.blocks)} blocks are already written")
        manifest = start_manifest(plan, blocks, workers=workers, started=started_at)
        write_manifest(output, manifest)
        todo_rows = sum(block.n_rows for block in todo)
        if not settings.local:
            where = f"{workers} Ray worker(s), each loading the pipeline"
        else:
            where = (
                "this process" if workers == 1 else f"{workers} processes of this machine, each loading the pipeline"
            )
        log(f"{todo_rows} docs in {len(todo)} blocks of up to {blocks.rows_per_block}, on {where}")
        reporter = progress(todo_rows) if progress is not None else Progress(todo_rows)

        def on_block(block: Block, table: pa.Table) -> None:
            errors = table.num_rows - table.column("error").is_null().to_pylist().count(True)
            tokens = pc.sum(table.column("n_tokens")).as_py() or 0
            reporter.update(table.num_rows, errors, tokens)

        assembler = BlockAssembler(todo, output, plan.schema, on_block=on_block)
        retried: Dict[str, int] = {}
        run_started = time.monotonic()
        tables = annotated_tables(plan, todo, workers=workers, annotator=annotator, retried=retried)
        try:
            for table in tables:
                assembler.add(table)
        except BaseException:
            manifest.update(status="interrupted", finished=now())
            write_manifest(output, manifest)
            raise
        finally:
            # Stops the workers now, not when the traceback is collected.
            getattr(tables, "close", lambda: None)()
            reporter.close()
        run_seconds = time.monotonic() - run_started
    return _account(plan, blocks, todo, assembler, manifest, retried, reporter, started, run_seconds)


def _account(
    plan: RunPlan,
    blocks: Plan,
    todo: List[Block],
    assembler: BlockAssembler,
    manifest: Dict[str, Any],
    retried: Dict[str, int],
    reporter: Progress,
    started: float,
    run_seconds: float,
) -> RunSummary:
    """Check that every row came out once, and record the run's counts and
    timing in the manifest and the summary."""
    output = plan.output
    if assembler.missing:
        raise LostRowsError(f"blocks never came back from the workers: {', '.join(assembler.missing[:5])}")
    counts = _count_output(output, blocks.blocks)
    if counts["rows"] != blocks.n_rows:
        raise LostRowsError(f"{blocks.n_rows} rows in but {counts['rows']} rows out under {output}")
    seconds = time.monotonic() - started
    todo_rows = sum(block.n_rows for block in todo)
    resumed = len(blocks.blocks) - len(todo)
    tokens = reporter.counts.tokens
    manifest.update(
        status="complete",
        finished=now(),
        rows={"in": blocks.n_rows, "out": counts["rows"], "errors": counts["errors"]},
        blocks={
            "total": len(blocks.blocks),
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
            "tokens_per_second": round(tokens / run_seconds, 2) if run_seconds > 0 else None,
        },
    )
    write_manifest(output, manifest)
    return RunSummary(
        output=output,
        rows_in=blocks.n_rows,
        rows_out=counts["rows"],
        errors=counts["errors"],
        blocks=len(blocks.blocks),
        blocks_written=len(todo),
        blocks_resumed=resumed,
        tokens=tokens,
        seconds=seconds,
        manifest=manifest,
    )


def _count_output(output: Path, blocks: List[Block]) -> Dict[str, int]:
    rows = errors = 0
    for block in blocks:
        table = pq.read_table(block_path(output, block), columns=["error"])
        rows += table.num_rows
        errors += table.num_rows - pc.sum(pc.is_null(table.column("error"))).as_py() if table.num_rows else 0
    return {"rows": rows, "errors": errors}
