"""`spacy-bert show`: annotate a text and show every annotation the pipeline
makes, printed and as one HTML page."""

from pathlib import Path
from typing import Optional

import click


def show_text(text: str, model: Optional[str] = None, output: Optional[Path] = None) -> str:
    """Run a pipeline on a text, print its annotations (entities, sentiment
    per sentence, semantic frames, summary) and return them as one HTML page
    (written to `output` when given).

    text (str): The text.
    model (Optional[str]): "accurate", a pipeline path or package name;
        None: the embedded default pipeline.
    output (Optional[Path]): HTML file to write.
    RETURNS (str): The HTML page.
    """
    from ..display import describe_doc, render_doc
    from ..pipeline import load

    doc = load(model)(text)
    lines = describe_doc(doc)
    for line in lines or ["No annotations: the pipeline sets no entities, sentiment, frames or summary."]:
        click.echo(line)
    page = render_doc(doc)
    if output is not None:
        Path(output).write_text(page, encoding="utf8")
        click.echo(f"Wrote {output}")
    return page


@click.command(name="show")
@click.argument("text")
@click.option(
    "--model",
    default=None,
    help='"accurate" (the accurate tier), a pipeline path or package (default: the embedded default).',
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the annotations as one HTML page here.",
)
def show(text: str, model: Optional[str], output: Optional[Path]) -> None:
    """Print every annotation the pipeline makes on TEXT (entities, sentiment
    per sentence, semantic frames, the summary) and render them as one HTML
    page (displaCy) when --output is given."""
    from .failures import exit_on_error

    with exit_on_error():
        show_text(text, model, output)
