"""Span groups a component owns.

Every component here writes its output to a span group under a configurable
key (`spans_key`). The group's attrs say what it holds (`kind`) and which
component wrote it (`annotator`), so that

* a component never overwrites a group that something else wrote there, and
* getters such as `doc._.summary` find the output by what it is, whatever key
  the pipeline's config chose.

A kind is named like the package's registered functions:
`spacy-bert-components.<what it holds>.v<layout version>`.
"""

from typing import Any, Dict, Iterable, List, Optional

from spacy.tokens import Doc, Span, SpanGroup

KIND_ATTR = "kind"
ANNOTATOR_ATTR = "annotator"
# Where SRL frame groups in converted corpora on disk may name their kind
# instead ("format": "bert_srl.v1"): read as `kind`.
LEGACY_KIND_ATTR = "format"
# Kind names that saved DocBins and pipelines' outputs on disk may carry,
# read as the current name of the same layout so those docs keep loading.
KIND_ALIASES: Dict[str, str] = {
    "spacy-bert-components.sentence_sentiment": "spacy-bert-components.sentence_sentiment.v1",
    "bert_srl.v1": "spacy-bert-components.srl_frames.v1",
    "bert_summarizer.summary": "spacy-bert-components.summary.v1",
    "bert_summarizer.sentences": "spacy-bert-components.summary_sentences.v1",
}


def group_kind(group: SpanGroup) -> Optional[str]:
    """RETURNS (Optional[str]): What the group holds (its current kind name,
    also for a group saved under an alias), if one of our components (or
    converters) wrote it."""
    attrs = group.attrs
    if not isinstance(attrs, dict):
        return None
    kind = attrs.get(KIND_ATTR, attrs.get(LEGACY_KIND_ATTR))
    return KIND_ALIASES.get(kind, kind)


def groups_of_kind(doc: Doc, kind: str) -> List[SpanGroup]:
    """RETURNS (List[SpanGroup]): The doc's span groups that hold `kind`, in
    key order."""
    return [group for group in doc.spans.values() if group_kind(group) == kind]


def check_writable(doc: Doc, key: str, *, kind: str, annotator: Optional[str]) -> None:
    """Raise ValueError, naming the setting to change, unless `doc.spans[key]`
    is free for this component: empty, or holding the same kind that no
    other component wrote (gold data and converters leave `annotator` unset).
    Overwriting would silently destroy another component's output."""
    if key not in doc.spans:
        return
    old = doc.spans[key]
    old_annotator = old.attrs.get(ANNOTATOR_ATTR) if isinstance(old.attrs, dict) else None
    if group_kind(old) == kind and (annotator is None or old_annotator in (None, annotator)):
        return
    writer = f" ({old_annotator!r})" if old_annotator else ""
    raise ValueError(
        f"doc.spans[{key!r}] already holds spans written by another component{writer}; "
        f"set a different `spans_key` for the {annotator or kind!r} component."
    )


def write_owned_group(
    doc: Doc,
    key: str,
    spans: Iterable[Span],
    *,
    kind: str,
    annotator: Optional[str],
    attrs: Optional[Dict[str, Any]] = None,
) -> SpanGroup:
    """Write `doc.spans[key]`, marked with `kind` and `annotator`, where
    `check_writable` allows it.

    annotator (Optional[str]): The writing component's name; None for data
        written outside a pipeline (converters).
    RETURNS (SpanGroup): The new group.
    """
    check_writable(doc, key, kind=kind, annotator=annotator)
    group_attrs = {KIND_ATTR: kind, ANNOTATOR_ATTR: annotator, **(attrs or {})}
    group = SpanGroup(doc, name=key, attrs=group_attrs, spans=list(spans))
    doc.spans[key] = group
    return group
