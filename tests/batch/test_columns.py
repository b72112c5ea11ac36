"""The doc -> row logic and the output schema, without Ray."""

import pyarrow as pa
import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_bert_components.batch.columns import (
    ColumnSpec,
    annotate_table,
    doc_row,
    output_schema,
    spec_for_pipeline,
    spec_from_components,
    worker_schema,
)
from spacy_bert_components.batch.model import spec_for_model
from spacy_bert_components.corpus.readers import READ_SCHEMA

ALL = ColumnSpec(ents=True, sentiment=True, srl=True, summary=True)


class Frame:
    def __init__(self, predicate, roleset, arguments):
        self.predicate, self.roleset, self.arguments = predicate, roleset, arguments


@pytest.fixture
def srl_extension():
    """A plain `doc._.srl` for the test, restoring whatever was there."""
    previous = Doc.get_extension("srl")
    Doc.set_extension("srl", default=None, force=True)
    yield
    if previous is None:
        Doc.remove_extension("srl")
    else:
        # spaCy takes exactly one of default / method / getter back.
        default, method, getter, setter = previous
        if getter is not None:
            Doc.set_extension("srl", getter=getter, setter=setter, force=True)
        elif method is not None:
            Doc.set_extension("srl", method=method, force=True)
        else:
            Doc.set_extension("srl", default=default, force=True)


def annotated_doc() -> Doc:
    nlp = spacy.blank("en")
    doc = nlp("Anna bought a car. It was red. She loved it.")
    doc.ents = [Span(doc, 0, 1, label="PERSON")]
    doc.cats = {"pos": 0.8, "neg": 0.2}
    doc.sentiment = 0.6
    doc.spans["summary"] = [doc[0:5], doc[9:13]]
    doc.spans["summary"].attrs["scores"] = [0.9, 0.4]
    return doc


def test_doc_row_reads_every_contract(srl_extension):
    doc = annotated_doc()
    doc._.srl = [Frame(doc[1:2], "buy.01", [("ARG0", doc[0:1]), ("ARG1", doc[2:4])])]
    row = doc_row(doc, ALL)
    assert row["n_tokens"] == len(doc) and row["error"] is None
    assert row["ents"] == [{"start_char": 0, "end_char": 4, "text": "Anna", "label": "PERSON"}]
    assert row["sentiment"]["label"] == "pos"
    assert row["sentiment"]["score"] == pytest.approx(0.6)
    assert [p["label"] for p in row["sentiment"]["probs"]] == ["pos", "neg"]
    frame = row["srl"][0]
    assert frame["predicate"] == {"start_char": 5, "end_char": 11, "text": "bought", "roleset": "buy.01"}
    assert frame["arguments"][1] == {"start_char": 12, "end_char": 17, "text": "a car", "role": "ARG1"}
    assert [s["text"] for s in row["summary"]] == ["Anna bought a car.", "She loved it."]
    assert [s["score"] for s in row["summary"]] == [0.9, 0.4]
    # The row fits the typed schema.
    table = pa.Table.from_pylist([dict(row, id="x", source=None)], schema=output_schema(ALL))
    assert table.column("summary")[0][1]["start_char"].as_py() == 31


def test_doc_row_without_annotations(srl_extension):
    doc = spacy.blank("en")("Nothing here.")
    row = doc_row(doc, ALL)
    assert row["ents"] == [] and row["sentiment"] is None and row["srl"] == [] and row["summary"] == []


def test_schema_has_only_the_columns_of_the_pipeline():
    assert output_schema(ColumnSpec()).names == ["id", "source", "n_tokens", "error"]
    assert output_schema(ColumnSpec(ents=True, summary=True)).names == [
        "id",
        "source",
        "n_tokens",
        "ents",
        "summary",
        "error",
    ]
    schema = output_schema(ALL)
    assert schema.field("sentiment").type.get_field_index("probs") == 2
    assert worker_schema(ALL).names[:2] == ["block", "index"]


def test_spec_from_components():
    spec = spec_from_components(
        [
            {"factory": "ner", "assigns": ["doc.ents", "token.ent_iob"]},
            {"factory": "bert_sentiment", "assigns": ["doc.cats"]},
            {"factory": "bert_srl", "assigns": []},
        ]
    )
    assert spec == ColumnSpec(ents=True, sentiment=True, srl=True, summary=False)
    assert spec_from_components([{"factory": "bert_summarizer", "assigns": []}]).summary
    other = spec_from_components([{"factory": "bert_summarizer", "assigns": [], "spans_key": "tldr"}])
    assert other.summary_key == "tldr" and other.names() == ["summary"]


def test_spec_from_config_equals_loaded_pipeline(tiny_pipeline):
    from pathlib import Path

    expected = spec_for_pipeline(spacy.load(tiny_pipeline))
    assert expected == ColumnSpec(ents=True, sentiment=True)
    assert spec_for_model(Path(tiny_pipeline)) == expected


def read_rows(texts, errors=None):
    n = len(texts)
    return pa.table(
        {
            "block": ["b"] * n,
            "index": list(range(n)),
            "id": [str(i) for i in range(n)],
            "source": [{"file": "f", "row": i, "member": None} for i in range(n)],
            "text": texts,
            "error": errors or [None] * n,
        },
        schema=READ_SCHEMA,
    )


def test_annotate_table_keeps_every_row_and_names_each_error():
    nlp = spacy.blank("en")
    texts = ["A good day.", "", "   ", "x" * 50, None, "Fine."]
    errors = [None, None, None, None, "null text: 'text' is null", None]
    out = annotate_table(nlp, read_rows(texts, errors), ColumnSpec(), batch_size=2, max_chars=40)
    assert out.num_rows == len(texts)
    rows = out.to_pylist()
    assert [r["index"] for r in rows] == list(range(len(texts)))
    assert rows[0]["error"] is None and rows[0]["n_tokens"] == 4
    assert rows[1]["error"] == "empty text"
    assert rows[2]["error"].startswith("empty text: nothing but whitespace")
    assert rows[3]["error"] == "too long: 50 characters, the limit (--max-chars) is 40"
    assert rows[4]["error"] == "null text: 'text' is null" and rows[4]["n_tokens"] is None
    assert rows[5]["n_tokens"] == 2


def test_annotate_table_isolates_a_failing_doc():
    nlp = spacy.blank("en")

    @spacy.Language.component("fail_on_boom")
    def fail_on_boom(doc):
        if "boom" in doc.text:
            raise ValueError("boom")
        return doc

    nlp.add_pipe("fail_on_boom")
    out = annotate_table(nlp, read_rows(["ok.", "boom.", "ok too."]), ColumnSpec(), batch_size=8)
    assert [r["error"] for r in out.to_pylist()] == [None, "annotation failed: ValueError: boom", None]
