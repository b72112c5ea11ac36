import json

import pytest
import spacy
from click.testing import CliRunner
from spacy.tokens import DocBin

from spacy_bert_components.cli.main import cli
from spacy_bert_components.errors import ConversionError
from spacy_bert_components.summarization.convert import convert_bbc, convert_scitldr, split_run_together
from spacy_bert_components.summarization.gold import GOLD_SPANS_KEY, get_references


def _read(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


def test_split_run_together():
    text = 'Sales rose 2% to $11.1bn from $10.9bn.For the full-year, profit was $3.36bn."It was strong," he said.Shares rose.'
    assert split_run_together(text) == [
        "Sales rose 2% to $11.1bn from $10.9bn.",
        "For the full-year, profit was $3.36bn.",
        '"It was strong," he said.',
        "Shares rose.",
    ]


def test_convert_scitldr(tmp_path):
    rows = [
        {
            "source": ["We study cats.", "Cats sleep a lot and dream of fish.", "Dogs bark."],
            "source_labels": [0, 1, 0],
            "target": ["Cats sleep and dream of fish."],
            "paper_id": "p1",
        },
        {
            "source": ["One sentence only."],
            "source_labels": [1],
            "target": ["One sentence.", "Only one."],
            "paper_id": "p2",
        },
    ]
    src = tmp_path / "dev.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    counts = convert_scitldr(src, tmp_path / "out.spacy")
    assert counts == {str(tmp_path / "out.spacy"): 2}
    docs = _read(tmp_path / "out.spacy")
    assert [s.text for s in docs[0].sents] == rows[0]["source"]
    assert [s.text for s in docs[0].spans[GOLD_SPANS_KEY]] == ["Cats sleep a lot and dream of fish."]
    assert get_references(docs[1]) == ["One sentence.", "Only one."]
    assert list(docs[0].user_data["source_labels"]) == [0, 1, 0]
    src.write_text(json.dumps(rows[0]) + "\n{not json\n")
    with pytest.raises(ConversionError, match="dev.jsonl:2"):
        convert_scitldr(src, tmp_path / "bad.spacy")


def _bbc(root, n=10):
    for i in range(n):
        cat = "tech" if i % 2 else "sport"
        (root / "News Articles" / cat).mkdir(parents=True, exist_ok=True)
        (root / "Summaries" / cat).mkdir(parents=True, exist_ok=True)
        article = f"Title number {i}\n\nMarket {i} rose today. Fans cheered.\n\nThe index {i} fell later. Rain came."
        (root / "News Articles" / cat / f"{i:03d}.txt").write_text(article)
        (root / "Summaries" / cat / f"{i:03d}.txt").write_text(f"Market {i} rose today.The index {i} fell later.")
    return root


def test_convert_bbc_split_is_reproducible(tmp_path):
    root = _bbc(tmp_path / "bbc")
    counts = convert_bbc(root, tmp_path / "a", seed=1, dev_fraction=0.2)
    assert sorted(counts.values()) == [2, 8]
    convert_bbc(root, tmp_path / "b", seed=1, dev_fraction=0.2)
    convert_bbc(root, tmp_path / "c", seed=2, dev_fraction=0.2)

    def ids(d):
        return [doc.user_data["doc_id"] for doc in _read(tmp_path / d / "dev.spacy")]

    assert ids("a") == ids("b")
    assert sorted(ids("a") + [doc.user_data["doc_id"] for doc in _read(tmp_path / "a" / "train.spacy")]) == sorted(
        f"{'tech' if i % 2 else 'sport'}/{i:03d}.txt" for i in range(10)
    )
    doc = _read(tmp_path / "a" / "train.spacy")[0]
    assert not doc.text.startswith("Title")
    assert len(list(doc.sents)) == 4
    assert [s.text for s in doc.spans[GOLD_SPANS_KEY]] == [s.text for s in doc.sents][0::2]
    assert get_references(doc)[0].count("\n") == 1


def test_cli_convert_bbc(tmp_path):
    root = _bbc(tmp_path / "bbc", n=4)
    result = CliRunner().invoke(
        cli, ["convert", "bbc", str(root), str(tmp_path / "out"), "--seed", "0", "--dev-fraction", "0.25"]
    )
    assert result.exit_code == 0, result.output
    assert "train.spacy: 3 docs" in result.output and "dev.spacy: 1 docs" in result.output
    (root / "Summaries").rename(root / "Other")
    result = CliRunner().invoke(cli, ["convert", "bbc", str(root), str(tmp_path / "out2")])
    assert result.exit_code != 0 and "Summaries" in result.output
