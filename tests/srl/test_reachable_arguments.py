"""projects/srl_up_english/scripts/reachable_arguments.py: gold arguments
that the pipeline's tokenizer or sentence splitter puts out of reach."""

import json
import runpy
import sys
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin

from spacy_bert_components.srl.frames import FrameData, write_frames

SCRIPT = Path(__file__).resolve().parents[2] / "projects" / "srl_up_english" / "scripts" / "reachable_arguments.py"


def gold(nlp, words, spaces, frames):
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    write_frames(doc, frames)
    return doc


def test_counts_arguments_across_sentences_and_inside_tokens(tmp_path, monkeypatch, capsys):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "model")
    docs = [
        # Reachable: "Anna" and "a song" are spaCy tokens of the one sentence.
        gold(
            nlp,
            ["Anna", "sang", "a", "song", "."],
            [True, True, True, False, False],
            [FrameData((1, 2), "sing.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 4, 3)])],
        ),
        # "mail" ends where spaCy's token "email" does but starts inside it.
        gold(
            nlp,
            ["Send", "the", "e", "mail", "."],
            [True, True, False, False, False],
            [FrameData((0, 1), "send.01", [("ARG1", 3, 4, 3)])],
        ),
        # The sentencizer splits after "left.": the argument and its predicate
        # end up in different sentences.
        gold(
            nlp,
            ["He", "left", ".", "Then", "slept", "."],
            [True, False, True, True, False, False],
            [FrameData((4, 5), "sleep.01", [("ARG0", 0, 3, 0)])],
        ),
    ]
    DocBin(docs=docs, store_user_data=True).to_disk(tmp_path / "dev.spacy")
    monkeypatch.setattr(sys, "argv", ["reachable_arguments.py", str(tmp_path / "model"), str(tmp_path / "dev.spacy")])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    counts = json.loads(capsys.readouterr().out)
    assert counts["sentences"] == 3 and counts["split_sentences"] == 1
    assert counts["arguments"] == 4
    assert counts["crossing_a_sentence_boundary"] == 1
    assert counts["edge_inside_a_token"] == 1
    assert counts["unreachable"] == 2 and counts["unreachable_pct"] == 50.0
