"""`spacy-bert annotate`: the batch runner's command. Click parses; the work
is `batch.runner.annotate_corpus`, imported inside so `--help` is instant."""

import sys
from pathlib import Path
from typing import Optional, Tuple

import click

from ..errors import EXIT_ERRORS
from .failures import exit_on_error


@click.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the Parquet output and _manifest.json.",
)
@click.option(
    "--model",
    "-m",
    default=None,
    help='"accurate" (the accurate tier), a pipeline directory or an installed package (default: the embedded default).',
)
@click.option(
    "--text-column", default="text", show_default=True, help="Column (Parquet) or field (JSON lines) holding the text."
)
@click.option(
    "--id-column",
    default="id",
    show_default=True,
    help="Column or field holding the id; when absent, ids are FILE:ROW or ARCHIVE/MEMBER.",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Workers, each with its own pipeline: processes of this machine or Ray workers (default: one per CPU; --local: 1).",
)
@click.option(
    "--cpus-per-worker",
    type=float,
    default=None,
    help="Ray: CPUs reserved per worker (default: 90% of an even share, leaving room for the read tasks).",
)
@click.option(
    "--gpus-per-worker",
    type=float,
    default=0.0,
    show_default=True,
    help="GPUs per worker (1 or a fraction); > 0 runs spaCy on the GPU, on Ray unless --local.",
)
@click.option("--batch-size", type=int, default=32, show_default=True, help="Most documents per nlp.pipe batch.")
@click.option(
    "--batch-chars",
    type=int,
    default=50_000,
    show_default=True,
    help="Most characters per nlp.pipe batch: a longer document is a batch of its own.",
)
@click.option(
    "--address",
    default=None,
    help="Run on Ray: a cluster's address (auto: the one on this machine; local: a new local Ray). Default: no Ray, a pool of processes on this machine (Ray where --gpus-per-worker or --cpus-per-worker ask for it).",
)
@click.option(
    "--local",
    is_flag=True,
    help="This process only (small jobs, debugging); --workers N: a pool of N.",
)
@click.option(
    "--resume", is_flag=True, help="Finish an interrupted run in --output: blocks already written are skipped."
)
@click.option("--limit", type=int, default=None, help="Annotate only the first N documents.")
@click.option("--max-chars", type=int, default=100_000, show_default=True, help="Longer texts become error rows.")
@click.option(
    "--threads",
    type=int,
    default=None,
    help="torch and BLAS threads per process (default: 1; --local alone: one per core; Ray: one per whole CPU reserved).",
)
@click.option(
    "--rows-per-file",
    type=int,
    default=1000,
    show_default=True,
    help="Documents per output file (fewer for small inputs, so every worker gets work).",
)
def annotate(
    inputs: Tuple[Path, ...],
    output: Path,
    model: Optional[str],
    text_column: str,
    id_column: str,
    workers: Optional[int],
    cpus_per_worker: Optional[float],
    gpus_per_worker: float,
    batch_size: int,
    batch_chars: int,
    address: Optional[str],
    local: bool,
    resume: bool,
    limit: Optional[int],
    max_chars: int,
    rows_per_file: int,
    threads: Optional[int],
) -> None:
    """Annotate documents with a pipeline, on Ray workers or --local, into
    typed Parquet files under --output: one row per input document, with
    `error` set for documents that could not be annotated.

    INPUT: Parquet or JSON-lines files, folders of them or of .txt files,
    .zip / .tar / .tar.gz archives of text files.

    Exit codes: 0 all annotated, 1 some rows carry errors, 2 bad usage,
    unreadable input or no usable GPU for --gpus-per-worker, 3 the run
    failed (e.g. workers could not load the pipeline; finish it with
    --resume), 130 interrupted.
    """
    from ..batch.manifest import read_manifest
    from ..batch.runner import RunSettings, annotate_corpus

    settings = RunSettings(
        text_column=text_column,
        id_column=id_column,
        workers=workers,
        cpus_per_worker=cpus_per_worker,
        gpus_per_worker=gpus_per_worker,
        batch_size=batch_size,
        batch_chars=batch_chars,
        address=address,
        local=local,
        resume=resume,
        limit=limit,
        max_chars=max_chars,
        rows_per_file=rows_per_file,
        threads=threads,
    )

    def log(line: str) -> None:
        click.echo(f"annotate: {line}", err=True)

    resume = f"finish with --resume -o {output}"
    with exit_on_error(
        resume=resume,
        interrupted=f"the blocks written so far are kept; {resume}",
        # A worker that found no GPU leaves a manifest: the run continues
        # with --resume once the GPU is fixed.
        setup_left_a_run=lambda: read_manifest(output) is not None,
    ):
        summary = annotate_corpus(inputs, output, model=model, settings=settings, log=log)
    timing = summary.manifest.get("timing", {})
    words = timing.get("tokens_per_second")
    click.echo(
        f"{summary.rows_out} docs out for {summary.rows_in} in "
        f"({summary.blocks_written} blocks written, {summary.blocks_resumed} resumed) in {summary.seconds:.1f}s; "
        f"{words if words is not None else '-'} words/s; {summary.errors} errors; output: {summary.output}"
    )
    if summary.errors:
        click.echo(f"{summary.errors} document(s) could not be annotated: see the `error` column", err=True)
        sys.exit(EXIT_ERRORS)
