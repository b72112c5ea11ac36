"""Converter for PropBank's English Web Treebank annotation
(`spacy-bert convert propbank-ewt DIR OUTPUT`).

PropBank's skeleton files (`skel/<genre>/<doc>.xml.gold_skel`) hold its
predicates, rolesets and bracketed argument spans with `[WORD]` in place of
the words; `ud/<genre>/<doc>.xml.conllu` hold the same documents from
UD_English-EWT r2.5, sentence for sentence and token for token. Each sentence
is joined with its UD sentence and turned into Universal PropBank's columns
(the span's label on each token of the span whose UD head lies outside it, V
on the predicate), then converted exactly as `up-conllu` converts UP data
(`convert.sentence_to_doc`): training and evaluation see the same kind of
frames. `train.txt` / `dev.txt` list the documents of each split.
"""

import re
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from spacy.tokens import DocBin
from spacy.vocab import Vocab
from wasabi import msg

from ..errors import ConversionError
from .convert import Sentence, read_heads, read_up_conllu, sentence_to_doc

SPLITS = (("train", "train.txt"), ("dev", "dev.txt"))
SKELETON_COLUMNS = 8  # doc sentence token [WORD] POS parse-bit predicate-lemma roleset
NO_ROLESET = "-"
# "(ARG0*", "*", "*)", "(V*)", nested "(ARG1(ARG2*))"
_CELL = re.compile(r"((?:\([^()*\s]+)*)\*(\)*)")


class SkeletonSentence:
    def __init__(self, line: int) -> None:
        self.line = line
        self.rows: List[List[str]] = []


class JoinStats:
    """What a conversion joined and what it skipped."""

    def __init__(self) -> None:
        self.sentences = 0
        self.skipped: List[str] = []  # "file:line" of sentences whose tokens differ
        self.unannotated: List[str] = []  # listed documents without a skeleton


def read_skeleton(path: Path) -> List[SkeletonSentence]:
    """RETURNS (List[SkeletonSentence]): The sentences of a skeleton file."""
    sentences: List[SkeletonSentence] = []
    current: Optional[SkeletonSentence] = None
    with Path(path).open(encoding="utf8") as f:
        for n, raw in enumerate(f, start=1):
            cols = raw.split()
            if not cols:
                current = None
                continue
            if current is None:
                current = SkeletonSentence(n)
                sentences.append(current)
            if len(cols) < SKELETON_COLUMNS:
                raise ConversionError(path, n, f"expected at least {SKELETON_COLUMNS} columns, found {len(cols)}")
            current.rows.append(cols)
    return sentences


def bracket_spans(column: Sequence[str], path: Path, line: int) -> List[Tuple[str, int, int]]:
    """CoNLL-2012 bracketed spans of one predicate's column as (label, start,
    end) over tokens (end exclusive): `(ARG0*`, `*`, `*)`, `(V*)`."""
    spans: List[Tuple[str, int, int]] = []
    open_: List[Tuple[str, int]] = []
    for i, cell in enumerate(column):
        match = _CELL.fullmatch(cell)
        if match is None:
            raise ConversionError(path, line + i, f"bad argument cell {cell!r}")
        openings, closings = match.groups()
        for label in openings.split("(")[1:]:
            open_.append((label, i))
        for _ in closings:
            if not open_:
                raise ConversionError(path, line + i, f"closing bracket with none open in {cell!r}")
            label, start = open_.pop()
            spans.append((label, start, i + 1))
    if open_:
        raise ConversionError(path, line, f"argument {open_[-1][0]!r} never closed")
    return spans


def up_columns(skeleton: SkeletonSentence, ud: Sentence, path: Path, ud_path: Path) -> Sentence:
    """The UD sentence with Universal PropBank's roleset and argument columns
    made from the skeleton's spans (tokens must line up)."""
    heads = read_heads(ud, ud_path)  # -1: the root, outside every span
    predicates = [i for i, row in enumerate(skeleton.rows) if row[7] != NO_ROLESET]
    n_columns = {len(row) - SKELETON_COLUMNS for row in skeleton.rows}
    if len(n_columns) != 1 or (predicates and n_columns != {len(predicates)}):
        raise ConversionError(
            path, skeleton.line, f"{len(predicates)} predicates but {sorted(n_columns)} argument columns"
        )
    labels = [["_"] * len(predicates) for _ in skeleton.rows]
    for k, pred in enumerate(predicates):
        column = [row[SKELETON_COLUMNS + k] for row in skeleton.rows]
        for label, start, end in bracket_spans(column, path, skeleton.line):
            if label == "V":
                continue
            for i in range(start, end):
                if not start <= heads[i] < end and labels[i][k] == "_":
                    labels[i][k] = label
        labels[pred][k] = "V"
    merged = Sentence(ud.doc_id, ud.sent_id, ud.line)
    for (n, cols), row, row_labels in zip(ud.rows, skeleton.rows, labels):
        roleset = row[7] if row[7] != NO_ROLESET else "_"
        merged.rows.append((n, list(cols[:10]) + [roleset] + row_labels))
    return merged


def join_document(skeleton_path: Path, ud_path: Path, stats: JoinStats) -> Iterator[Sentence]:
    """Yield the document's sentences in UP form. A sentence whose token
    count differs is skipped (and counted in `stats`); a document whose
    sentence count differs is an error."""
    skeleton = read_skeleton(skeleton_path)
    ud = read_up_conllu(ud_path)
    if len(skeleton) != len(ud):
        raise ConversionError(
            skeleton_path, 1, f"{len(skeleton)} sentences, but {ud_path} has {len(ud)}: the files do not line up"
        )
    for skel_sentence, ud_sentence in zip(skeleton, ud):
        if len(skel_sentence.rows) != len(ud_sentence.rows):
            stats.skipped.append(f"{skeleton_path}:{skel_sentence.line}")
            continue
        stats.sentences += 1
        yield up_columns(skel_sentence, ud_sentence, skeleton_path, ud_path)


def document_paths(folder: Path, document: str) -> Tuple[Path, Path]:
    """The skeleton and UD files of a listed document (`weblog/00/x.xml`):
    skel/weblog/x.xml.gold_skel (or skel/weblog/00/x.xml.gold_skel, as in
    propbank-release's data/google/ewt) and ud/weblog/x.xml.conllu."""
    parts = document.strip().split("/")
    genre, name = parts[0], parts[-1]
    skeleton = folder / "skel" / genre / f"{name}.gold_skel"
    if not skeleton.exists():
        skeleton = folder / "skel" / f"{document.strip()}.gold_skel"
    return skeleton, folder / "ud" / genre / f"{name}.conllu"


def read_split(folder: Path, list_name: str, stats: JoinStats, limit: Optional[int] = None) -> Iterator[Sentence]:
    """Yield every sentence of the annotated documents listed in
    `folder/list_name`; a listed document without a skeleton (PropBank left
    it unannotated) is skipped and counted in `stats`."""
    list_path = folder / list_name
    if not list_path.exists():
        raise ConversionError(
            list_path, 0, "document list not found: give the propbank_ewt folder (train.txt, dev.txt, skel/, ud/)"
        )
    documents = list_path.read_text(encoding="utf8").split()
    joined = 0
    for number, document in enumerate(documents, start=1):
        if limit and joined >= limit:
            break
        skeleton_path, ud_path = document_paths(folder, document)
        if not skeleton_path.exists():
            stats.unannotated.append(document)
            continue
        if not ud_path.exists():
            raise ConversionError(list_path, number, f"document {document}: {ud_path} not found")
        joined += 1
        yield from join_document(skeleton_path, ud_path, stats)
    if not joined:
        raise ConversionError(list_path, 0, f"none of its documents has a skeleton under {folder / 'skel'}")


def convert_propbank_ewt(input_path: Path, output_path: Path, *, limit: Optional[int] = None) -> Dict[str, int]:
    """Convert the propbank_ewt folder to OUTPUT/train.spacy and OUTPUT/dev.spacy.

    input_path (Path): The folder (train.txt, dev.txt, skel/, ud/).
    output_path (Path): Folder to write to (created).
    limit (Optional[int]): Keep only the first `limit` documents of each split (0 or None: all).
    RETURNS (Dict[str, int]): Docs (sentences) written per file. Sentences
        skipped because their tokens do not line up are named on stderr.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    output_path.mkdir(parents=True, exist_ok=True)
    vocab = Vocab()
    counts: Dict[str, int] = {}
    for split, list_name in SPLITS:
        stats = JoinStats()
        db = DocBin(store_user_data=False)
        for sentence in read_split(input_path, list_name, stats, limit):
            db.add(sentence_to_doc(vocab, sentence, input_path / sentence.doc_id))
        db.to_disk(output_path / f"{split}.spacy")
        counts[str(output_path / f"{split}.spacy")] = stats.sentences
        for where in stats.skipped:
            msg.warn(f"{where}: skipped, its tokens do not line up with the UD sentence")
        if stats.unannotated:
            msg.info(
                f"{list_name}: {len(stats.unannotated)} listed documents have no PropBank annotation (no skeleton)"
            )
    return counts
