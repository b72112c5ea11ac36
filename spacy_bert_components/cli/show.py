"""`spacy-bert show`: annotate a text and render its semantic role frames."""
from pathlib import Path
from typing import Optional

import click


def show_text(text: str, model: Optional[str] = None, output: Optional[Path] = None) -> str:
    """Run a pipeline with `bert_srl` on a text; print its frames and return
    the displaCy HTML (written to `output` when given).

    text (str): The text.
    model (Optional[str]): Pipeline path or package name; None: the embedded
        default pipeline.
    output (Optional[Path]): HTML file to write.
    RETURNS (str): The HTML.
    """
    from ..pipeline import load
    from ..srl.frames import install_extensions
    from ..srl.visualize import render_frames

    install_extensions()
    nlp = load(model)
    doc = nlp(text)
    frames = doc._.srl
    if not frames:
        click.echo("No predicates found.")
    for frame in frames:
        args = "  ".join(f"[{role}: {span.text}]" for role, span in frame.arguments)
        click.echo(f"{frame.predicate.text} ({frame.roleset}): {args}")
    html = render_frames(doc)
    if output is not None:
        Path(output).write_text(html, encoding="utf8")
        click.echo(f"Wrote {output}")
    return html


@click.command(name="show")
@click.argument("text")
@click.option("--model", default=None, help="Pipeline path or package with a bert_srl component (default: the embedded default pipeline).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the displaCy HTML here.")
def show(text: str, model: Optional[str], output: Optional[Path]) -> None:
    """Print the semantic role frames of TEXT and render them with displaCy
    (one line of spans per predicate) to an HTML file."""
    show_text(text, model, output)
