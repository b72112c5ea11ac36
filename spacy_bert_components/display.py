"""Every annotation the components make on a doc, as text lines and as one
HTML page: entities (displaCy's ent style), sentiment per sentence and the
summary (displaCy's span style), semantic frames (`srl.visualize`). A section
is shown when the doc carries that annotation, so any pipeline of these
components (or spaCy's own `ner`) can be shown."""

import html
from typing import Any, Dict, List, Optional

from spacy import displacy
from spacy.tokens import Doc, SpanGroup

from .sentiment.component import SENTENCE_SENTIMENT_KIND
from .span_groups import groups_of_kind
from .srl.frames import FRAMES_KIND, install_extensions
from .srl.visualize import render_frames
from .summarization.component import SUMMARY_KIND

# displaCy colours CoNLL's PER and MISC grey (its table has PERSON, NORP);
# the default pipeline's labels get the colours of their OntoNotes kin.
ENTITY_COLORS = {"PER": "#aa9cfc", "MISC": "#c887fb"}
SENTIMENT_COLORS = {"positive": "#b5e48c", "negative": "#f4a6b7"}
SUMMARY_COLOR = "#ffd166"
PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>spacy-bert show</title>
<style>body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; }}</style>
</head>
<body>
{sections}
</body>
</html>
"""


def _first_group(doc: Doc, kind: str) -> Optional[SpanGroup]:
    groups = groups_of_kind(doc, kind)
    return groups[0] if groups else None


def _has_entities(doc: Doc) -> bool:
    # Set by any entity recognizer, also when it found no entity.
    return doc.has_annotation("ENT_IOB")


def _sentence_scores(group: SpanGroup) -> List[Dict[str, Any]]:
    scores = group.attrs.get("scores") or []
    return [
        {"span": span, "label": span.label_, "score": float(scores[i]) if i < len(scores) else None}
        for i, span in enumerate(group)
    ]


def _format_score(score: Optional[float], signed: bool = True) -> str:
    if score is None:
        return "-"
    return f"{score:+.2f}" if signed else f"{score:.2f}"


def describe_doc(doc: Doc) -> List[str]:
    """The doc's annotations as readable lines: entities, the doc's and each
    sentence's sentiment, the semantic frames and the summary.

    doc (Doc): A doc annotated by a pipeline.
    RETURNS (List[str]): The lines, one section after the other.
    """
    install_extensions()
    lines: List[str] = []
    if _has_entities(doc):
        ents = ", ".join(f"{ent.text} ({ent.label_})" for ent in doc.ents)
        lines.append(f"Entities: {ents or 'none found'}")
    sentiment = _first_group(doc, SENTENCE_SENTIMENT_KIND)
    if doc.cats or sentiment is not None:
        probs = ", ".join(f"{label} {prob:.3f}" for label, prob in sorted(doc.cats.items(), key=lambda kv: -kv[1]))
        doc_score = sentiment.attrs.get("doc_score") if sentiment is not None else None
        lines.append(f"Sentiment: {probs or '-'}" + (f" (score {doc_score:+.2f})" if doc_score is not None else ""))
        for item in _sentence_scores(sentiment) if sentiment is not None else []:
            lines.append(f"  {_format_score(item['score'])} {item['label']:<8}  {item['span'].text}")
    frames_group = _first_group(doc, FRAMES_KIND)
    if frames_group is not None:
        frames = doc._.srl
        lines.append("Frames:" if frames else "Frames: no predicates found")
        for frame in frames:
            args = "  ".join(f"[{role}: {span.text}]" for role, span in frame.arguments)
            lines.append(f"  {frame.predicate.text} ({frame.roleset}): {args}")
    summary = _first_group(doc, SUMMARY_KIND)
    if summary is not None:
        lines.append("Summary:")
        for item in _sentence_scores(summary):
            lines.append(f"  {_format_score(item['score'], signed=False)}  {item['span'].text}")
    return lines


def _span_lines(doc: Doc, spans: List[Dict[str, Any]], colors: Dict[str, str]) -> str:
    """displaCy's span style over the whole doc, from manual spans."""
    parsed = {"text": doc.text, "tokens": [t.text for t in doc], "spans": spans}
    return displacy.render(parsed, style="span", manual=True, page=False, jupyter=False, options={"colors": colors})


def _sentiment_html(doc: Doc, group: Optional[SpanGroup]) -> str:
    probs = ", ".join(
        f"{html.escape(label)} {prob:.3f}" for label, prob in sorted(doc.cats.items(), key=lambda kv: -kv[1])
    )
    parts = [f"<p>Document: {probs or '-'}</p>"] if doc.cats else []
    if group is not None:
        spans, colors = [], {}
        for item in _sentence_scores(group):
            label = f"{item['label']} {_format_score(item['score'])}"
            colors[label] = SENTIMENT_COLORS.get(item["label"], "#dddddd")
            spans.append({"start_token": item["span"].start, "end_token": item["span"].end, "label": label})
        parts.append(_span_lines(doc, spans, colors))
    return "\n".join(parts)


def _summary_html(doc: Doc, group: SpanGroup) -> str:
    spans, colors = [], {}
    for item in _sentence_scores(group):
        label = f"summary {_format_score(item['score'], signed=False)}"
        colors[label] = SUMMARY_COLOR
        spans.append({"start_token": item["span"].start, "end_token": item["span"].end, "label": label})
    return _span_lines(doc, spans, colors)


def render_doc(doc: Doc) -> str:
    """Render the doc's annotations as one HTML page, a section each.

    doc (Doc): A doc annotated by a pipeline.
    RETURNS (str): The page.
    """
    install_extensions()
    sections: List[str] = []
    if _has_entities(doc):
        body = (
            displacy.render(doc, style="ent", page=False, jupyter=False, options={"colors": ENTITY_COLORS})
            if doc.ents
            else "<p>No entities found.</p>"
        )
        sections.append(f"<h2>Entities</h2>\n{body}")
    sentiment = _first_group(doc, SENTENCE_SENTIMENT_KIND)
    if doc.cats or sentiment is not None:
        sections.append(f"<h2>Sentiment</h2>\n{_sentiment_html(doc, sentiment)}")
    if _first_group(doc, FRAMES_KIND) is not None:
        sections.append(f"<h2>Semantic frames</h2>\n{render_frames(doc, page=False)}")
    summary = _first_group(doc, SUMMARY_KIND)
    if summary is not None:
        sections.append(f"<h2>Summary</h2>\n{_summary_html(doc, summary)}")
    if not sections:
        sections.append(f"<p>No annotations.</p>\n<p>{html.escape(doc.text)}</p>")
    return PAGE.format(sections="\n".join(sections))
