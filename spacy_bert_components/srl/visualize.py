"""Render SRL frames with displaCy's span style: one line of spans per
predicate (the predicate labelled "V: roleset", then its arguments)."""

from typing import Any, Dict, Iterable, List, Optional, Union

from spacy import displacy
from spacy.tokens import Doc

from .frames import Frame, install_extensions

# One colour per role family (C-/R- variants share their role's), the
# predicate's in yellow; displaCy's span style greys out unknown labels.
ROLE_COLORS = {
    "V": "#ffd166",
    "ARG0": "#7bdcb5",
    "ARG1": "#8ecae6",
    "ARG2": "#f4a6b7",
    "ARG3": "#cdb4db",
    "ARG4": "#f7c59f",
    "ARG5": "#b5e48c",
}
MODIFIER_COLOR = "#dddddd"


def role_color(label: str) -> str:
    """RETURNS (str): The display colour of a span label ("V: eat.01", "ARG0",
    "C-ARG1", "ARGM-TMP", ...)."""
    role = label.split(":", 1)[0]
    if role[:2] in ("C-", "R-"):
        role = role[2:]
    return ROLE_COLORS.get(role, MODIFIER_COLOR)


def frame_to_displacy(frame: Frame, *, sentence_only: bool = True) -> Dict[str, Any]:
    """The manual displaCy "span" input for one frame.

    frame (Frame): The frame.
    sentence_only (bool): Show the predicate's sentence, not the whole doc.
    RETURNS (Dict[str, Any]): {"text", "tokens", "spans", "title"}.
    """
    doc = frame.predicate.doc
    if sentence_only and doc.has_annotation("SENT_START"):
        sent = frame.predicate.sent
        start, end = sent.start, sent.end
    else:
        start, end = 0, len(doc)
    label = "V" + (f": {frame.roleset}" if frame.roleset else "")
    spans = [{"start_token": frame.predicate.start - start, "end_token": frame.predicate.end - start, "label": label}]
    for role, span in frame.arguments:
        spans.append({"start_token": span.start - start, "end_token": span.end - start, "label": role})
    spans.sort(key=lambda s: (s["start_token"], s["end_token"]))
    return {
        "text": doc[start:end].text,
        "tokens": [t.text for t in doc[start:end]],
        "spans": spans,
        "title": f"{frame.predicate.text} ({frame.roleset})" if frame.roleset else frame.predicate.text,
    }


def render_frames(
    docs: Union[Doc, Iterable[Doc]], *, page: bool = True, options: Optional[Dict[str, Any]] = None
) -> str:
    """Render every frame of the docs as HTML, one displaCy span line per predicate.

    docs (Union[Doc, Iterable[Doc]]): Docs annotated by `bert_srl`.
    page (bool): A full HTML page (else a fragment).
    options (Optional[Dict[str, Any]]): displaCy span options (e.g. colors).
    RETURNS (str): The HTML. Docs without frames get a line saying so.
    """
    install_extensions()
    if isinstance(docs, Doc):
        docs = [docs]
    parsed: List[Dict[str, Any]] = []
    for doc in docs:
        frames = doc._.srl
        if not frames:
            parsed.append(
                {"text": doc.text, "tokens": [t.text for t in doc], "spans": [], "title": "(no predicates found)"}
            )
        parsed.extend(frame_to_displacy(f) for f in frames)
    if not parsed:
        return ""
    colors = {span["label"]: role_color(span["label"]) for item in parsed for span in item["spans"]}
    options = dict(options or {})
    options["colors"] = {**colors, **options.get("colors", {})}
    return displacy.render(parsed, style="span", manual=True, page=page, options=options)
