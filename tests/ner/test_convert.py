"""The conll03 converter: IOB2 to one Doc per -DOCSTART- document."""

from collections import Counter

import pytest
import spacy
from click.testing import CliRunner
from spacy.tokens import DocBin

from spacy_bert_components.cli.main import cli
from spacy_bert_components.errors import ConversionError
from spacy_bert_components.ner.convert import conll03_to_docbin

from .fixtures import DEV_COUNTS, TRAIN_COUNTS, write_conll03

SAMPLE = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

New NNP B-NP B-LOC
York NNP I-NP I-LOC
wins VBZ B-VP O
"""


def _docs(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


def test_documents_sentences_and_entities(tmp_path):
    (tmp_path / "in.iob").write_text(SAMPLE, encoding="utf8")
    counts = conll03_to_docbin(tmp_path / "in.iob", tmp_path / "out.spacy")
    assert counts == {str(tmp_path / "out.spacy"): 2}
    first, second = _docs(tmp_path / "out.spacy")
    assert [s.text for s in first.sents] == ["EU rejects German call .", "Peter Blackburn"]
    assert [(e.text, e.label_) for e in first.ents] == [("EU", "ORG"), ("German", "MISC"), ("Peter Blackburn", "PER")]
    assert [(e.text, e.label_) for e in second.ents] == [("New York", "LOC")]


def test_limit(tmp_path):
    (tmp_path / "in.iob").write_text(SAMPLE, encoding="utf8")
    assert list(conll03_to_docbin(tmp_path / "in.iob", tmp_path / "out.spacy", limit=1).values()) == [1]


@pytest.mark.parametrize(
    "bad_line,line_no,message",
    [
        ("rejects VBZ B-VP Q-ORG", 4, "invalid IOB2 tag"),
        ("call NN I-NP I-PER", 6, "continues no PER"),
        ("lonely", 4, "expected"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path, bad_line, line_no, message):
    lines = SAMPLE.splitlines()
    lines[line_no - 1] = bad_line
    path = tmp_path / "bad.iob"
    path.write_text("\n".join(lines), encoding="utf8")
    with pytest.raises(ConversionError, match=message) as err:
        conll03_to_docbin(path, tmp_path / "out.spacy")
    assert err.value.line == line_no and err.value.path == str(path)


def test_entity_does_not_cross_a_sentence_boundary(tmp_path):
    lines = SAMPLE.splitlines()
    lines[8] = "Peter NNP B-NP I-MISC"  # after ". O" and a blank line
    path = tmp_path / "bad.iob"
    path.write_text("\n".join(lines), encoding="utf8")
    with pytest.raises(ConversionError, match=r"bad.iob:9"):
        conll03_to_docbin(path, tmp_path / "out.spacy")


def test_cli(tmp_path):
    (tmp_path / "in.iob").write_text(SAMPLE, encoding="utf8")
    result = CliRunner().invoke(cli, ["convert", "conll03", str(tmp_path / "in.iob"), str(tmp_path / "o.spacy")])
    assert result.exit_code == 0, result.output
    assert "2 docs" in result.output
    (tmp_path / "bad.iob").write_bytes(b"EU NNP B-NP B-ORG\n\x9c\x9c O O\n")
    result = CliRunner().invoke(cli, ["convert", "conll03", str(tmp_path / "bad.iob"), str(tmp_path / "o.spacy")])
    assert result.exit_code != 0 and "bad.iob:2" in result.output


def test_train_and_dev_files(tmp_path):
    """Files in the shared data's layout, one by one and as a folder:
    documents, sentences and entities per file."""
    folder = write_conll03(tmp_path / "conll2003")
    for name, expected in (("train", TRAIN_COUNTS), ("dev", DEV_COUNTS)):
        counts = conll03_to_docbin(folder / f"{name}.iob", tmp_path / f"{name}.spacy")
        assert list(counts.values()) == [expected["docs"]]
        docs = _docs(tmp_path / f"{name}.spacy")
        assert sum(len(list(d.sents)) for d in docs) == expected["sentences"]
        assert Counter(e.label_ for d in docs for e in d.ents) == expected["ents"]
    counts = conll03_to_docbin(folder, tmp_path / "corpus")
    assert counts == {
        str(tmp_path / "corpus" / "dev.spacy"): DEV_COUNTS["docs"],
        str(tmp_path / "corpus" / "train.spacy"): TRAIN_COUNTS["docs"],
    }


def test_full_dev_set(shared_data, tmp_path):
    """The whole CoNLL-2003 dev file, where the full data is present."""
    counts = conll03_to_docbin(shared_data / "ner" / "conll2003" / "dev.iob", tmp_path / "dev.spacy")
    assert list(counts.values()) == [216]
    docs = _docs(tmp_path / "dev.spacy")
    assert sum(len(d.ents) for d in docs) == 5942
    assert sum(len(list(d.sents)) for d in docs) == 3250
