"""displaCy rendering of frames and `spacy-bert show`."""

import spacy
from click.testing import CliRunner
from spacy.tokens import Doc

from spacy_bert_components.cli.main import cli
from spacy_bert_components.srl.frames import FrameData, write_frames
from spacy_bert_components.srl.visualize import ROLE_COLORS, render_frames, role_color


def test_render_one_line_per_predicate():
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words="John ate the apple and Mary drank tea .".split())
    write_frames(
        doc,
        [
            FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 4, 3)]),
            FrameData((6, 7), "drink.01", [("ARG0", 5, 6, 5), ("ARG1", 7, 8, 7)]),
        ],
    )
    html = render_frames(doc)
    assert html.count("V: eat.01") == 1 and html.count("V: drink.01") == 1
    assert html.count("spans") >= 2  # one displaCy span block per frame
    assert "ARG1" in html
    assert "no predicates" in render_frames(Doc(nlp.vocab, words=["Hi"]))
    # Roles keep their colour across frames; C-/R- share their role's.
    assert role_color("ARG0") == role_color("R-ARG0") != role_color("ARG1")
    assert role_color("V: eat.01") == ROLE_COLORS["V"] and ROLE_COLORS["ARG1"] in html


def test_show_cli(tmp_path, srl_model_path):
    out = tmp_path / "frames.html"
    result = CliRunner().invoke(
        cli, ["show", "John ate the apple and Mary drank tea .", "--model", str(srl_model_path), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "ate (eat.01): [ARG0: John]  [ARG1: the apple]" in result.output
    assert "V: eat.01" in out.read_text(encoding="utf8")
