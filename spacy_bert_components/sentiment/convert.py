"""Convert SST-2 `label text` files to spaCy's DocBin, one Doc a sentence."""

from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from ..errors import ConversionError
from ..textfile import read_lines

# SST-2's binary labels; the neutral class of SST-5 is absent from this data.
SST2_LABELS = {"0": "negative", "1": "positive"}


def read_sst2(path: Path) -> Iterator[Tuple[str, str, int]]:
    """Yield (label, text, line number) from a `label text` file.

    path (Path): One sentence a line, `0` negative or `1` positive first.
    YIELDS (Tuple[str, str, int]): The label name, the (tokenized) text and
        the line number. Blank lines are skipped.
    """
    for n, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        label, _, text = line.strip().partition(" ")
        if label not in SST2_LABELS:
            raise ConversionError(path, n, f"label {label!r} is not 0 or 1 (expected 'label text')")
        if not text.strip():
            raise ConversionError(path, n, "a label with no text (expected 'label text')")
        yield SST2_LABELS[label], text.strip(), n


def sst2_to_docbin(input_path: Path, output_path: Path, *, limit: Optional[int] = None) -> Dict[str, int]:
    """Convert an SST-2 file (or a folder of `*.txt` files, one `.spacy` file
    each) to DocBin with exclusive `doc.cats` {"positive", "negative"}.

    input_path (Path): The `label text` file or folder.
    output_path (Path): The .spacy file, or a folder for a folder of inputs.
    limit (Optional[int]): Convert at most this many sentences per file.
    RETURNS (Dict[str, int]): Documents written per output file.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    if input_path.is_dir():
        pairs = [(p, output_path / f"{p.stem}.spacy") for p in sorted(input_path.glob("*.txt"))]
    else:
        pairs = [(input_path, output_path)]
    counts: Dict[str, int] = {}
    vocab = Vocab()
    for src, dst in pairs:
        docbin = DocBin(attrs=["ORTH"])
        for i, (label, text, _) in enumerate(read_sst2(src)):
            if limit and i >= limit:
                break
            # The data is tokenized already: keep its tokens.
            doc = Doc(vocab, words=text.split())
            doc.cats = {name: float(name == label) for name in SST2_LABELS.values()}
            docbin.add(doc)
        dst.parent.mkdir(parents=True, exist_ok=True)
        docbin.to_disk(dst)
        counts[str(dst)] = len(docbin)
    return counts
