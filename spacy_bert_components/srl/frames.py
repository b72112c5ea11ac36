"""The public output of `bert_srl`: frames, where they are stored, and the
`doc._.srl` / `span._.srl` getters over that storage.

Frames live in a span group (default key "srl"), which DocBin, `doc.to_bytes`
and pickling keep. The group holds every predicate (label "V") and argument
span (label = role), so that plain span tools and displaCy see them, and its
`attrs` hold the frame structure as plain token offsets (msgpack-able):

    {"kind": "spacy-bert-components.srl_frames.v1", "annotator": "srl" | None,
     "frames": [{"predicate": [start, end], "roleset": "come.03" | None,
                 "arguments": [[role, start, end, head], ...]}, ...]}
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from spacy.tokens import Doc, Span, SpanGroup, Token

from ..span_groups import group_kind, write_owned_group

FRAMES_KIND = "spacy-bert-components.srl_frames.v1"
DEFAULT_SPANS_KEY = "srl"
PREDICATE_LABEL = "V"


@dataclass
class FrameData:
    """A frame as token offsets (the stored form).

    predicate (Tuple[int, int]): Start and end token of the predicate.
    roleset (Optional[str]): PropBank roleset, e.g. "come.03".
    arguments (List[Tuple[str, int, int, int]]): (role, start, end, head token).
    """

    predicate: Tuple[int, int]
    roleset: Optional[str] = None
    arguments: List[Tuple[str, int, int, int]] = field(default_factory=list)

    def to_msg(self) -> Dict[str, Any]:
        return {
            "predicate": [int(self.predicate[0]), int(self.predicate[1])],
            "roleset": self.roleset,
            "arguments": [[str(r), int(s), int(e), int(h)] for r, s, e, h in self.arguments],
        }

    @classmethod
    def from_msg(cls, msg: Dict[str, Any]) -> "FrameData":
        return cls(
            predicate=(int(msg["predicate"][0]), int(msg["predicate"][1])),
            roleset=msg.get("roleset"),
            arguments=[(str(r), int(s), int(e), int(h)) for r, s, e, h in msg.get("arguments", [])],
        )


@dataclass
class Frame:
    """One predicate with its roleset and arguments, as views on the doc.

    predicate (Span): The predicate.
    roleset (Optional[str]): The PropBank roleset, e.g. "come.03".
    arguments (List[Tuple[str, Span]]): (role, span) pairs, in text order.
    heads (List[Tuple[str, Token]]): (role, head token) per argument, same order.
    """

    predicate: Span
    roleset: Optional[str]
    arguments: List[Tuple[str, Span]]
    heads: List[Tuple[str, Token]]

    def to_dict(self) -> Dict[str, Any]:
        """RETURNS (Dict[str, Any]): JSON-friendly form with character offsets."""
        return {
            "predicate": {
                "text": self.predicate.text,
                "start_char": self.predicate.start_char,
                "end_char": self.predicate.end_char,
            },
            "roleset": self.roleset,
            "arguments": [
                {
                    "role": role,
                    "text": span.text,
                    "start_char": span.start_char,
                    "end_char": span.end_char,
                    "head": head.text,
                }
                for (role, span), (_, head) in zip(self.arguments, self.heads)
            ],
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{role}={span.text!r}" for role, span in self.arguments)
        return f"Frame({self.predicate.text!r}, {self.roleset!r}, [{args}])"


def is_srl_group(group: SpanGroup) -> bool:
    """RETURNS (bool): Whether the group holds frames (written by bert_srl or
    a converter)."""
    return group_kind(group) == FRAMES_KIND


def has_frames(doc: Doc, key: str = DEFAULT_SPANS_KEY) -> bool:
    """RETURNS (bool): Whether the doc holds SRL annotation (possibly no frames)."""
    return key in doc.spans and is_srl_group(doc.spans[key])


def read_frames(doc: Doc, key: str = DEFAULT_SPANS_KEY) -> List[FrameData]:
    """RETURNS (List[FrameData]): The frames stored under `key` (none if absent)."""
    if not has_frames(doc, key):
        return []
    return [FrameData.from_msg(msg) for msg in doc.spans[key].attrs.get("frames", [])]


def write_frames(
    doc: Doc, frames: Iterable[FrameData], key: str = DEFAULT_SPANS_KEY, *, annotator: Optional[str] = None
) -> None:
    """Store frames on the doc under span group `key`, replacing earlier SRL
    output there. Raises ValueError if `key` holds a group something else wrote.

    annotator (Optional[str]): The writing component's name; None for gold
        data (converters).
    """
    frames = list(frames)
    spans = []
    for frame in frames:
        spans.append(Span(doc, frame.predicate[0], frame.predicate[1], label=PREDICATE_LABEL))
        for role, start, end, _ in frame.arguments:
            spans.append(Span(doc, start, end, label=role))
    write_owned_group(
        doc, key, spans, kind=FRAMES_KIND, annotator=annotator, attrs={"frames": [f.to_msg() for f in frames]}
    )


def _frames_of(doc: Doc) -> List[Frame]:
    frames: List[Frame] = []
    for key in doc.spans:
        for data in read_frames(doc, key):
            arguments = [(role, doc[s:e]) for role, s, e, _ in data.arguments]
            heads = [(role, doc[h]) for role, _, _, h in data.arguments]
            frames.append(Frame(doc[data.predicate[0] : data.predicate[1]], data.roleset, arguments, heads))
    frames.sort(key=lambda f: f.predicate.start)
    return frames


def _doc_srl(doc: Doc) -> List[Frame]:
    return _frames_of(doc)


def _span_srl(span: Span) -> List[Frame]:
    return [f for f in _frames_of(span.doc) if span.start <= f.predicate.start and f.predicate.end <= span.end]


def install_extensions() -> None:
    """Install `Doc._.srl` and `Span._.srl` (getters), once."""
    if not Doc.has_extension("srl"):
        Doc.set_extension("srl", getter=_doc_srl)
    if not Span.has_extension("srl"):
        Span.set_extension("srl", getter=_span_srl)


install_extensions()
