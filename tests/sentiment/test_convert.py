"""The sst2 converter: `label text` lines to exclusive positive/negative cats."""

import pytest
import spacy
from click.testing import CliRunner
from spacy.tokens import DocBin

from spacy_bert_components.cli.main import cli
from spacy_bert_components.errors import ConversionError
from spacy_bert_components.sentiment.convert import sst2_to_docbin

from .fixtures import DEV_COUNTS, TRAIN_COUNTS, write_sst2

SAMPLE = "1 a stirring , funny film\n0 apparently reassembled from the cutting-room floor .\n\n1 good\n"


def _docs(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


def test_labels_and_tokens(tmp_path):
    (tmp_path / "in.txt").write_text(SAMPLE, encoding="utf8")
    assert list(sst2_to_docbin(tmp_path / "in.txt", tmp_path / "out.spacy").values()) == [3]
    docs = _docs(tmp_path / "out.spacy")
    assert docs[0].cats == {"negative": 0.0, "positive": 1.0}
    assert docs[1].cats == {"negative": 1.0, "positive": 0.0}
    assert [t.text for t in docs[0]] == ["a", "stirring", ",", "funny", "film"]


@pytest.mark.parametrize(
    "bad,message", [("2 neutral text", "not 0 or 1"), ("1", "no text"), ("positive great", "not 0 or 1")]
)
def test_bad_lines_name_file_and_line(tmp_path, bad, message):
    path = tmp_path / "bad.txt"
    path.write_text(SAMPLE + bad + "\n", encoding="utf8")
    with pytest.raises(ConversionError, match=message) as err:
        sst2_to_docbin(path, tmp_path / "out.spacy")
    assert err.value.line == 5 and "bad.txt:5" in str(err.value)


def test_cli_on_train_and_dev_files(tmp_path):
    """`spacy-bert convert sst2` on files in the shared data's layout."""
    folder = write_sst2(tmp_path / "sst2")
    for name, expected in (("train", TRAIN_COUNTS), ("dev", DEV_COUNTS)):
        out = tmp_path / f"{name}.spacy"
        result = CliRunner().invoke(cli, ["convert", "sst2", str(folder / f"{name}.txt"), str(out)])
        assert result.exit_code == 0, result.output
        assert f"{expected['docs']} docs" in result.output
        docs = _docs(out)
        assert len(docs) == expected["docs"]
        assert sum(d.cats["positive"] == 1.0 for d in docs) == expected["positive"]
        assert all(sorted(d.cats.values()) == [0.0, 1.0] for d in docs)


def test_full_dev_set(shared_data, tmp_path):
    """The whole SST-2 dev file, where the full data is present."""
    src = shared_data / "sentiment" / "sst2" / "dev.txt"
    result = CliRunner().invoke(cli, ["convert", "sst2", str(src), str(tmp_path / "dev.spacy")])
    assert result.exit_code == 0, result.output
    docs = _docs(tmp_path / "dev.spacy")
    assert len(docs) == 872
    assert {tuple(sorted(d.cats.items())) for d in docs} == {
        (("negative", 0.0), ("positive", 1.0)),
        (("negative", 1.0), ("positive", 0.0)),
    }
