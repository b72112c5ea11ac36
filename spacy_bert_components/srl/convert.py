"""Converter for Universal PropBank CoNLL-U (`spacy-bert convert up-conllu`).

UP labels an argument on its head word. The argument span is the head's
subtree in the gold dependency tree, without the subtrees of the predicate or
of the frame's other argument heads (so it never crosses the predicate and
arguments do not overlap), the contiguous part around the head, trimmed of
punctuation at its edges; the head is kept for head scoring.
One doc per sentence, with words, spaces, lemmas, tags, POS, the gold tree
and the frames (see `frames.py`). `propbank_ewt.py` turns PropBank's own
annotation into the same rows and reuses `sentence_to_doc`.
"""

import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from ..errors import ConversionError
from .decode import trim_edges
from .frames import FrameData, write_frames

NO_VALUE = ("_", "")


class Sentence:
    def __init__(self, doc_id: str, sent_id: str, line: int) -> None:
        self.doc_id = doc_id
        self.sent_id = sent_id
        self.line = line
        self.rows: List[Tuple[int, List[str]]] = []


def read_up_conllu(path: Path) -> List[Sentence]:
    """RETURNS (List[Sentence]): The sentences with their rows and line numbers."""
    sentences: List[Sentence] = []
    doc_id = ""
    current: Optional[Sentence] = None
    with Path(path).open(encoding="utf8") as f:
        for n, raw in enumerate(f, start=1):
            line = raw.rstrip("\n")
            if not line.strip():
                if current is not None and current.rows:
                    sentences.append(current)
                current = None
                continue
            if current is None:
                current = Sentence(doc_id, "", n)
            if line.startswith("#"):
                m = re.match(r"#\s*newdoc id\s*=\s*(.+)", line)
                if m:
                    doc_id = m.group(1).strip()
                    current.doc_id = doc_id
                m = re.match(r"#\s*sent_id\s*=\s*(.+)", line)
                if m:
                    current.sent_id = m.group(1).strip()
                continue
            cols = line.split("\t")
            if len(cols) < 10:
                raise ConversionError(path, n, f"expected at least 10 tab-separated columns, found {len(cols)}")
            if "-" in cols[0] or "." in cols[0]:
                continue  # multiword token ranges and empty nodes carry no words of their own
            if not cols[0].isdigit():
                raise ConversionError(path, n, f"bad token id {cols[0]!r}")
            current.rows.append((n, cols))
    if current is not None and current.rows:
        sentences.append(current)
    return sentences


def _document_of(sentence: Sentence) -> str:
    if sentence.doc_id:
        return sentence.doc_id
    # Without `# newdoc`, EWT sent ids are "<doc>-<number>".
    return re.sub(r"-\d+$", "", sentence.sent_id) or sentence.sent_id


def argument_span(
    head: int,
    predicate: int,
    children: Dict[int, List[int]],
    is_punct: Sequence[bool],
    other_heads: Sequence[int] = (),
) -> Tuple[int, int]:
    """The head's subtree as a contiguous span around the head, never reaching
    the predicate nor another argument head of the same frame (their subtrees
    are cut off), trimmed of edge punctuation (0-based, end exclusive)."""
    blocked = {predicate, *other_heads} - {head}
    nodes = set()
    stack = [head]
    while stack:
        node = stack.pop()
        nodes.add(node)
        stack.extend(c for c in children.get(node, []) if c not in blocked)
    start = end = head
    while start - 1 in nodes:
        start -= 1
    while end + 1 in nodes:
        end += 1
    # The same trim as predicted spans get (`decode.trim_edges`), so that
    # gold and prediction agree on where an argument ends.
    starts, ends = trim_edges(
        numpy.asarray(is_punct, dtype=bool), numpy.array([start]), numpy.array([end + 1]), numpy.array([head])
    )
    return int(starts[0]), int(ends[0])


def read_heads(sentence: Sentence, path: Path) -> List[int]:
    """RETURNS (List[int]): Each token's 0-based gold head, -1 for the root."""
    heads = []
    for n, cols in sentence.rows:
        try:
            head = int(cols[6])
        except ValueError:
            raise ConversionError(path, n, f"bad HEAD {cols[6]!r}") from None
        if head < 0 or head > len(sentence.rows):
            raise ConversionError(path, n, f"HEAD {head} outside the sentence")
        heads.append(head - 1)
    return heads


def sentence_to_doc(vocab: Vocab, sentence: Sentence, path: Path) -> Doc:
    rows = sentence.rows
    words = [cols[1] for _, cols in rows]
    spaces = ["SpaceAfter=No" not in cols[9].split("|") for _, cols in rows]
    spaces[-1] = False  # one doc per sentence: no trailing space
    gold_heads = read_heads(sentence, path)
    heads = [h if h >= 0 else i for i, h in enumerate(gold_heads)]  # spaCy: the root heads itself
    deps = [cols[7] if h >= 0 else "ROOT" for (_, cols), h in zip(rows, gold_heads)]
    doc = Doc(
        vocab,
        words=words,
        spaces=spaces,
        lemmas=[c[2] for _, c in rows],
        tags=[c[4] for _, c in rows],
        pos=[c[3] if c[3] != "_" else "X" for _, c in rows],
        heads=heads,
        deps=deps,
    )
    children: Dict[int, List[int]] = {}
    for i, h in enumerate(heads):
        if h != i:
            children.setdefault(h, []).append(i)
    is_punct = numpy.asarray([c[3] == "PUNCT" for _, c in rows], dtype=bool)
    predicates = [i for i, (_, c) in enumerate(rows) if len(c) > 10 and c[10] not in NO_VALUE]
    n_columns = max(len(c) for _, c in rows) - 11
    if predicates and n_columns != len(predicates):
        raise ConversionError(
            path, sentence.line, f"{len(predicates)} predicates (column 11) but {n_columns} argument columns"
        )
    frames = []
    for k, pred in enumerate(predicates):
        labelled = []
        for i, (_, cols) in enumerate(rows):
            label = cols[11 + k] if len(cols) > 11 + k else "_"
            if label in NO_VALUE or label == "V" or i == pred:
                continue  # V marks the predicate (and parts of multiword ones)
            labelled.append((label, i))
        heads_here = [i for _, i in labelled]
        arguments = []
        for label, i in labelled:
            start, end = argument_span(i, pred, children, is_punct, heads_here)
            arguments.append((label, start, end, i))
        arguments.sort(key=lambda a: (a[1], a[2]))
        frames.append(FrameData((pred, pred + 1), rows[pred][1][10], arguments))
    write_frames(doc, frames)
    return doc


def convert_up_conllu(input_path: Path, output_path: Path, *, limit: Optional[int] = None) -> Dict[str, int]:
    """Convert a UP CoNLL-U file (e.g. the official dev split) to one DocBin.

    input_path (Path): The .conllu file.
    output_path (Path): The .spacy file to write (its folder is created).
    limit (Optional[int]): Keep only the first `limit` documents (0 or None: all).
    RETURNS (Dict[str, int]): Docs (sentences) written per file.
    """
    input_path = Path(input_path)
    output_path = Path(output_path)
    sentences = read_up_conllu(input_path)
    if limit:
        kept: List[str] = []
        for n, s in enumerate(sentences):
            d = _document_of(s)
            if d not in kept:
                if len(kept) >= limit:
                    sentences = sentences[:n]
                    break
                kept.append(d)
    vocab = Vocab()
    db = DocBin(store_user_data=False)
    for s in sentences:
        db.add(sentence_to_doc(vocab, s, input_path))
    output_path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(output_path)
    return {str(output_path): len(sentences)}
