"""`spacy-bert show` with the default pipeline: every annotation it makes,
printed and on one HTML page."""

import spacy
from click.testing import CliRunner

from spacy_bert_components.cli.main import cli
from spacy_bert_components.display import describe_doc, render_doc

TEXT = "Maria Santos, the mayor of Lisbon, opened a new tram line on Monday. Residents welcomed it."


def test_show_prints_and_renders_every_annotation(tmp_path):
    page = tmp_path / "show.html"
    result = CliRunner().invoke(cli, ["show", TEXT, "--output", str(page)])
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.output.splitlines()
    assert lines[0] == "Entities: Maria Santos (PER), Lisbon (LOC)"
    assert lines[1].startswith("Sentiment: positive 0.9") and "(score +0.8" in lines[1]
    sentence_lines = [line for line in lines if line.startswith("  +0.")]
    assert [line.split("positive  ", 1)[1] for line in sentence_lines] == [
        "Maria Santos, the mayor of Lisbon, opened a new tram line on Monday.",
        "Residents welcomed it.",
    ]
    assert (
        "  opened (open.01): [ARG0: Maria Santos, the mayor of Lisbon]  [ARG1: a new tram line]  [ARGM-TMP: on Monday]"
        in lines
    )
    assert lines[lines.index("Summary:") + 1].endswith(
        "  Maria Santos, the mayor of Lisbon, opened a new tram line on Monday."
    )
    html = page.read_text(encoding="utf8")
    assert html.startswith("<!DOCTYPE html>") and html.count("<html") == 1
    for section in ("Entities", "Sentiment", "Semantic frames", "Summary"):
        assert f"<h2>{section}</h2>" in html
    assert 'class="entity"' in html and "Maria Santos" in html  # displaCy's ent style
    assert "V: open.01" in html and "V: welcome.01" in html  # one frame line each
    assert "positive +0." in html and "summary 0." in html  # sentence labels, span style


def test_a_doc_without_annotations_says_so():
    doc = spacy.blank("en")("Nothing to see.")
    assert describe_doc(doc) == []
    assert "No annotations." in render_doc(doc)
