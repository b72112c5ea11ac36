"""The `spacy-bert` console command. Thin: click parses, typed functions in
the task packages do the work, and heavy imports wait inside the commands so
that `--help` is instant."""

import json
import sys
from pathlib import Path
from typing import Optional

import click

from .convert import CONVERTERS, run_converter


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="spacy-bert-components")
def cli() -> None:
    """spaCy components backed by one shared BERT encoder: NER, sentiment,
    semantic roles and extractive summaries."""


@cli.command()
def info() -> None:
    """Print the package version, the default encoder and the default pipeline
    as JSON."""
    from ..info import collect_info

    click.echo(json.dumps(collect_info(), indent=2))


@cli.command()
@click.argument("format", type=click.Choice(sorted(CONVERTERS)))
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.argument("output_path", metavar="OUTPUT", type=click.Path(path_type=Path))
@click.option("--seed", type=int, default=None, help="Seed for converters that split data.")
@click.option("--dev-fraction", type=float, default=None, help="Share held out by converters that split data.")
@click.option("--limit", type=int, default=None, help="Convert at most this many documents.")
def convert(
    format: str,
    input_path: Path,
    output_path: Path,
    seed: Optional[int],
    dev_fraction: Optional[float],
    limit: Optional[int],
) -> None:
    """Convert a public data set to spaCy's DocBin (.spacy).

    FORMAT is one of the formats listed above; INPUT a file or folder of it;
    OUTPUT a .spacy file, or a folder for formats that write a train/dev split.
    """
    from .failures import exit_on_error

    options = {"seed": seed, "dev_fraction": dev_fraction, "limit": limit}
    with exit_on_error():
        counts = run_converter(format, input_path, output_path, options)
    for path, n_docs in counts.items():
        click.echo(f"{path}: {n_docs} docs")


@cli.command()
@click.option(
    "--corpus",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON lines with id and text (default: the demo corpus).",
)
@click.option(
    "--model",
    default=None,
    help='"accurate" (the accurate tier), a pipeline path or package (default: the embedded default).',
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output/demo"),
    show_default=True,
    help="Folder for the Parquet output (replaced on each run).",
)
def demo(corpus: Optional[Path], model: Optional[str], output: Path) -> None:
    """Annotate the demo corpus, write it as Parquet and print what was found
    per document."""
    from ..demo import run_demo
    from ..info import DEMO_CORPUS
    from .failures import exit_on_error

    with exit_on_error():
        run_demo(corpus or DEMO_CORPUS, model, output)


@cli.command()
@click.argument("teacher")
@click.argument("output_path", metavar="OUTPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.argument(
    "inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--max-words", type=int, default=0, show_default=True, help="Stop before this many tokens (0: every sentence)."
)
@click.option("--batch-size", type=int, default=64, show_default=True, help="Docs per batch.")
def silver(teacher: str, output_path: Path, inputs: tuple, max_words: int, batch_size: int) -> None:
    """Label the sentences of training DocBins with a trained TEACHER pipeline
    and write its annotations to OUTPUT (.spacy): silver training data for a
    smaller head. Give it training text only, never evaluation data."""
    import spacy

    from ..training.silver import label_with_teacher, training_sentences

    nlp = spacy.load(teacher)
    texts = training_sentences(list(inputs), nlp.vocab, max_words=max_words)
    n_docs = label_with_teacher(nlp, texts, output_path, batch_size=batch_size)
    click.echo(f"{output_path}: {n_docs} docs labelled by {teacher} ({', '.join(nlp.pipe_names)})")


@cli.command("fill-assets")
@click.argument("assets", metavar="ASSET...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--local-copy",
    default="",
    help="Root of a local copy of the data, laid out as assets/ ($SPACY_BERT_DATA in the projects); empty: check that the assets are there.",
)
def fill_assets_command(assets: tuple, local_copy: str) -> None:
    """The projects' data step: copy each ASSET (a path under assets/) from a
    local copy of the public data, or check that `spacy project assets`
    fetched them."""
    from ..project_data import fill_assets
    from .failures import exit_on_error

    with exit_on_error():
        lines = fill_assets(list(assets), Path(local_copy) if local_copy else None)
    for line in lines:
        click.echo(line)


from .annotate import annotate  # noqa: E402

cli.add_command(annotate)
from .show import show  # noqa: E402

cli.add_command(show)
from .pretrain import pretrain  # noqa: E402

cli.add_command(pretrain)
from .encoder import encoder  # noqa: E402

cli.add_command(encoder)


def main() -> None:  # pragma: no cover - console entry point
    if sys.argv[1:2] == ["annotate"]:
        # A long run annotates on jemalloc where it is installed: the
        # command starts itself again with it preloaded (batch/allocator.py).
        from ..batch.allocator import restart_with_allocator
        from ..errors import EXIT_USAGE

        try:
            restart_with_allocator()
        except ValueError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(EXIT_USAGE)
    cli(prog_name="spacy-bert")
