"""Convert CoNLL-2003 IOB2 files to spaCy's DocBin.

One `Doc` per `-DOCSTART-` document (document context helps the encoder and
is what the shared data keeps), with sentence starts set from the blank lines
and entities from the IOB2 tags of the last column.
"""

from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab

from ..errors import ConversionError
from ..textfile import read_lines

DOCSTART = "-DOCSTART-"
# (token, tag, line number) per token; sentences; documents.
_Token = Tuple[str, str, int]


def read_conll03(path: Path) -> Iterator[List[List[_Token]]]:
    """Yield the documents of a CoNLL-2003 file as lists of sentences.

    path (Path): A file with `token POS chunk NER` lines.
    YIELDS (List[List[Tuple[str, str, int]]]): Sentences of (token, tag, line).
    """
    doc: List[List[_Token]] = []
    sent: List[_Token] = []
    for n, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields:
            if sent:
                doc.append(sent)
                sent = []
            continue
        if fields[0] == DOCSTART:
            if sent:
                doc.append(sent)
                sent = []
            if doc:
                yield doc
                doc = []
            continue
        if len(fields) < 2:
            raise ConversionError(path, n, f"expected 'token POS chunk NER', got {line.strip()!r}")
        sent.append((fields[0], fields[-1], n))
    if sent:
        doc.append(sent)
    if doc:
        yield doc


def _entity_spans(path: Path, tags: List[Tuple[str, int, bool]]) -> List[Tuple[int, int, str]]:
    """Strict IOB2 (tag, line, sentence start) to (start, end, label) token
    offsets. Entities never cross a sentence boundary."""
    spans: List[Tuple[int, int, str]] = []
    start: Optional[int] = None
    label = ""
    for i, (tag, n, sent_start) in enumerate(tags):
        if sent_start and start is not None:
            spans.append((start, i, label))
            start = None
        if tag == "O":
            prefix, new_label = "O", ""
        elif len(tag) > 2 and tag[1] == "-" and tag[0] in "BI":
            prefix, new_label = tag[0], tag[2:]
        else:
            raise ConversionError(path, n, f"invalid IOB2 tag {tag!r} (expected O, B-TYPE or I-TYPE)")
        if prefix == "I":
            if start is None or new_label != label:
                raise ConversionError(path, n, f"tag {tag!r} continues no {new_label} entity (IOB2 needs B- first)")
            continue
        if start is not None:
            spans.append((start, i, label))
            start = None
        if prefix == "B":
            start, label = i, new_label
    if start is not None:
        spans.append((start, len(tags), label))
    return spans


def conll03_doc(vocab: Vocab, path: Path, sentences: List[List[_Token]]) -> Doc:
    """Build one Doc from the sentences of a document."""
    words = [tok for sent in sentences for tok, _, _ in sent]
    sent_starts = [i == 0 for sent in sentences for i in range(len(sent))]
    doc = Doc(vocab, words=words, sent_starts=sent_starts)
    tags = [(tag, n, j == 0) for sent in sentences for j, (_, tag, n) in enumerate(sent)]
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in _entity_spans(path, tags)]
    return doc


def conll03_to_docbin(input_path: Path, output_path: Path, *, limit: Optional[int] = None) -> Dict[str, int]:
    """Convert a CoNLL-2003 file (or a folder of `*.iob`/`*.txt` files, one
    `.spacy` file each) to DocBin.

    input_path (Path): The IOB2 file or folder.
    output_path (Path): The .spacy file, or a folder for a folder of inputs.
    limit (Optional[int]): Convert at most this many documents per file.
    RETURNS (Dict[str, int]): Documents written per output file.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    if input_path.is_dir():
        pairs = [
            (p, output_path / f"{p.stem}.spacy")
            for p in sorted(input_path.iterdir())
            if p.suffix in (".iob", ".txt", ".conll")
        ]
    else:
        pairs = [(input_path, output_path)]
    counts: Dict[str, int] = {}
    vocab = Vocab()
    for src, dst in pairs:
        docbin = DocBin(attrs=["ORTH", "SENT_START", "ENT_IOB", "ENT_TYPE"])
        for i, sentences in enumerate(read_conll03(src)):
            if limit and i >= limit:
                break
            docbin.add(conll03_doc(vocab, src, sentences))
        dst.parent.mkdir(parents=True, exist_ok=True)
        docbin.to_disk(dst)
        counts[str(dst)] = len(docbin)
    return counts
