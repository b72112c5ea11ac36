"""From docs to typed Arrow rows: the output schema of `spacy-bert annotate`
and the plain function that annotates one block of texts (no Ray in here).

The annotations are read through the contracts the components honour:
entities from `doc.ents`; sentiment from `doc.cats` ({label: prob}) and
`doc.sentiment` (polarity in [-1, 1]); semantic roles from `doc._.srl`
(frames with `.predicate` (Span), `.roleset` (Optional[str]) and
`.arguments` (list of (role, Span))); summaries from `doc.spans["summary"]`
with the sentence scores in `doc.spans["summary"].attrs["scores"]`.
"""

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

import pyarrow as pa
from spacy.language import Language
from spacy.tokens import Doc

from ..corpus.readers import READ_SCHEMA, SOURCE_TYPE
from .pipe_batches import DEFAULT_BATCH_CHARS, annotate_texts

SUMMARY_KEY = "summary"
# A column of the annotation rows only: the row's position in its block.
POSITION = "_position"
SRL_FACTORY = "bert_srl"
SUMMARIZER_FACTORY = "bert_summarizer"

ENT_TYPE = pa.struct(
    [("start_char", pa.int32()), ("end_char", pa.int32()), ("label", pa.string()), ("text", pa.string())]
)
SENTIMENT_TYPE = pa.struct(
    [
        ("label", pa.string()),
        ("score", pa.float32()),
        ("probs", pa.list_(pa.struct([("label", pa.string()), ("prob", pa.float32())]))),
    ]
)
PREDICATE_TYPE = pa.struct(
    [("start_char", pa.int32()), ("end_char", pa.int32()), ("text", pa.string()), ("roleset", pa.string())]
)
ARGUMENT_TYPE = pa.struct(
    [("role", pa.string()), ("start_char", pa.int32()), ("end_char", pa.int32()), ("text", pa.string())]
)
SRL_TYPE = pa.struct([("predicate", PREDICATE_TYPE), ("arguments", pa.list_(ARGUMENT_TYPE))])
SUMMARY_TYPE = pa.struct(
    [("start_char", pa.int32()), ("end_char", pa.int32()), ("text", pa.string()), ("score", pa.float32())]
)


@dataclass(frozen=True)
class ColumnSpec:
    """Which annotation columns a pipeline produces."""

    ents: bool = False
    sentiment: bool = False
    srl: bool = False
    summary: bool = False
    # The span group a bert_summarizer writes (its `spans_key` setting).
    summary_key: str = SUMMARY_KEY

    def names(self) -> List[str]:
        return [name for name in ("ents", "sentiment", "srl", "summary") if getattr(self, name)]


def spec_from_components(components: Iterable[Dict[str, Any]]) -> ColumnSpec:
    """components (Iterable[Dict[str, Any]]): For each pipe, its "factory",
    "assigns" (as in `FactoryMeta`) and, for a summarizer, its "spans_key".
    RETURNS (ColumnSpec): ents if a pipe assigns doc.ents, sentiment if one
    assigns doc.cats, srl / summary if a bert_srl / bert_summarizer exists.
    """
    ents = sentiment = srl = summary = False
    summary_key = SUMMARY_KEY
    for component in components:
        assigns = set(component.get("assigns") or ())
        ents = ents or "doc.ents" in assigns
        sentiment = sentiment or "doc.cats" in assigns
        srl = srl or component.get("factory") == SRL_FACTORY
        if component.get("factory") == SUMMARIZER_FACTORY:
            summary = True
            summary_key = component.get("spans_key") or SUMMARY_KEY
    return ColumnSpec(ents=ents, sentiment=sentiment, srl=srl, summary=summary, summary_key=summary_key)


def spec_for_pipeline(nlp: Language) -> ColumnSpec:
    """RETURNS (ColumnSpec): The columns the loaded pipeline `nlp` produces."""
    components = []
    for name in nlp.pipe_names:
        meta = nlp.get_pipe_meta(name)
        config = nlp.get_pipe_config(name)
        components.append({"factory": meta.factory, "assigns": meta.assigns, "spans_key": config.get("spans_key")})
    return spec_from_components(components)


def check_pipeline_columns(nlp: Language, spec: ColumnSpec, model: Optional[str]) -> None:
    """Raise when a worker's loaded pipeline `nlp` (from `model`) produces
    other columns than the driver planned (`spec`)."""
    found = spec_for_pipeline(nlp)
    if found != spec:
        raise RuntimeError(f"the pipeline {model} produces columns {found.names()}, expected {spec.names()}")


def output_schema(spec: ColumnSpec) -> pa.Schema:
    """RETURNS (pa.Schema): The schema of the output files for `spec`."""
    fields = [("id", pa.string()), ("source", SOURCE_TYPE), ("n_tokens", pa.int32())]
    if spec.ents:
        fields.append(("ents", pa.list_(ENT_TYPE)))
    if spec.sentiment:
        fields.append(("sentiment", SENTIMENT_TYPE))
    if spec.srl:
        fields.append(("srl", pa.list_(SRL_TYPE)))
    if spec.summary:
        fields.append(("summary", pa.list_(SUMMARY_TYPE)))
    fields.append(("error", pa.string()))
    return pa.schema(fields)


def worker_schema(spec: ColumnSpec) -> pa.Schema:
    """RETURNS (pa.Schema): The output schema plus the block name and row
    index, which the writer uses to put each block back together."""
    schema = output_schema(spec)
    return pa.schema([READ_SCHEMA.field("block"), READ_SCHEMA.field("index")] + list(schema))


def _span(span: Any) -> Dict[str, Any]:
    return {"start_char": span.start_char, "end_char": span.end_char, "text": span.text}


def _frame(frame: Any) -> Dict[str, Any]:
    predicate = dict(_span(frame.predicate), roleset=getattr(frame, "roleset", None))
    arguments = [dict(_span(span), role=str(role)) for role, span in frame.arguments]
    return {"predicate": predicate, "arguments": arguments}


def doc_row(doc: Doc, spec: ColumnSpec) -> Dict[str, Any]:
    """doc (Doc): An annotated doc.
    spec (ColumnSpec): The columns to fill.
    RETURNS (Dict[str, Any]): The annotation fields of the doc's output row.
    """
    row: Dict[str, Any] = {"n_tokens": len(doc), "error": None}
    if spec.ents:
        row["ents"] = [dict(_span(ent), label=ent.label_) for ent in doc.ents]
    if spec.sentiment:
        if doc.cats:
            best = max(doc.cats, key=doc.cats.get)
            row["sentiment"] = {
                "label": best,
                "score": float(doc.sentiment),
                "probs": [{"label": label, "prob": float(prob)} for label, prob in doc.cats.items()],
            }
        else:
            row["sentiment"] = None
    if spec.srl:
        frames = doc._.srl if Doc.has_extension("srl") else None
        row["srl"] = [_frame(frame) for frame in (frames or [])]
    if spec.summary:
        if spec.summary_key in doc.spans:
            group = doc.spans[spec.summary_key]
            scores = list(group.attrs.get("scores") or [])
            row["summary"] = [
                dict(_span(span), score=float(scores[i]) if i < len(scores) else None) for i, span in enumerate(group)
            ]
        else:
            row["summary"] = []
    return row


def annotate_table(
    nlp: Language,
    table: pa.Table,
    spec: ColumnSpec,
    *,
    batch_size: int = 32,
    max_chars: Optional[int] = None,
    batch_chars: int = DEFAULT_BATCH_CHARS,
) -> pa.Table:
    """Annotate one block of rows read by `inputs.read_block`. Each batch's
    docs become rows before the next batch starts (`pipe_batches`), so the
    memory this takes depends on the batch, not on the block.

    nlp (Language): The pipeline.
    table (pa.Table): Rows of READ_SCHEMA.
    spec (ColumnSpec): The annotation columns to fill.
    batch_size (int): Most docs per `nlp.pipe` batch.
    max_chars (Optional[int]): Longer texts become error rows.
    batch_chars (int): Most characters per `nlp.pipe` batch.
    RETURNS (pa.Table): One row per input row, of `worker_schema(spec)`.
    """
    if max_chars is not None and nlp.max_length < max_chars:
        nlp.max_length = max_chars
    data = table.to_pydict()
    n = table.num_rows
    errors: List[Optional[str]] = list(data["error"])
    todo: List[int] = []
    for i in range(n):
        if errors[i] is not None:
            continue
        text = data["text"][i]
        if not text.strip():
            errors[i] = "empty text: nothing but whitespace" if text else "empty text"
        elif max_chars is not None and len(text) > max_chars:
            errors[i] = f"too long: {len(text)} characters, the limit (--max-chars) is {max_chars}"
        else:
            todo.append(i)
    schema = worker_schema(spec)
    # The annotation columns, keyed by the row's position in the block: each
    # batch becomes Arrow rows at once, and its docs are dropped.
    kept = ("block", "index", "id", "source")
    annotation_schema = pa.schema([pa.field(POSITION, pa.int64())] + [f for f in schema if f.name not in kept])
    skipped = [{POSITION: i, "n_tokens": None, "error": errors[i]} for i in range(n) if errors[i] is not None]
    parts = [pa.Table.from_pylist(skipped, schema=annotation_schema)]
    batches = annotate_texts(
        nlp,
        [data["text"][i] for i in todo],
        lambda doc: doc_row(doc, spec),
        lambda error: {"n_tokens": None, "error": error},
        batch_size=batch_size,
        batch_chars=batch_chars,
    )
    for positions, rows in batches:
        for position, row in zip(positions, rows):
            row[POSITION] = todo[position]
        parts.append(pa.Table.from_pylist(rows, schema=annotation_schema))
    annotations = pa.concat_tables(parts).sort_by(POSITION)
    columns = {name: table.column(name) for name in kept}
    columns.update({name: annotations.column(name) for name in annotation_schema.names if name != POSITION})
    return pa.table({name: columns[name] for name in schema.names}, schema=schema)
