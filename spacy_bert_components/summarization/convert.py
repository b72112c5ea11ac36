"""Converters to DocBin with an extractive oracle: SciTLDR-A (JSON lines) and
BBC News Summary (folders of articles and extractive summaries)."""

import json
import random
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import ConversionError
from .gold import set_gold
from .oracle import greedy_oracle

DEFAULT_SEED = 0
DEFAULT_DEV_FRACTION = 0.1
# SciTLDR's summaries are one sentence: its oracle (and lead baseline) is one.
SCITLDR_ORACLE_SENTENCES = 1
# BBC summaries are run together with no space after the full stop
# ("...$10.9bn.For the full-year..."): a sentence end directly followed by a
# capital, or by a quote and a capital, is a boundary.
_QUOTES = '"\u201c\u201d'


def _blank_nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _doc_from_sentences(nlp, sentences: Sequence[str]):
    """A doc whose sentences are exactly `sentences`, joined by spaces."""
    from spacy.tokens import Doc

    words: List[str] = []
    spaces: List[bool] = []
    starts: List[bool] = []
    for sent in sentences:
        tokens = [t for t in nlp.make_doc(sent.strip()) if not t.is_space]
        for j, token in enumerate(tokens):
            words.append(token.text)
            spaces.append(bool(token.whitespace_))
            starts.append(j == 0)
        if tokens:
            spaces[-1] = True
    if spaces:
        spaces[-1] = False
    return Doc(nlp.vocab, words=words, spaces=spaces, sent_starts=starts)


def convert_scitldr(input_path: Path, output_path: Path, limit: Optional[int] = None) -> Dict[str, int]:
    """Convert a SciTLDR-A JSON lines file (`source` sentences, `target`
    TLDRs) to a DocBin: the abstract's sentences as `doc.sents`, the greedy
    ROUGE oracle (one sentence) and the TLDRs as references. The data set's
    own oracle (`source_labels`) is kept in `doc.user_data["source_labels"]`
    so that ours can be compared with it.

    input_path (Path): `train.jsonl` or `dev.jsonl`.
    output_path (Path): The .spacy file to write.
    limit (Optional[int]): Convert at most this many documents (0 or None: all).
    RETURNS (Dict[str, int]): Docs written per output file.
    """
    from spacy.tokens import DocBin

    nlp = _blank_nlp()
    db = DocBin(store_user_data=True)
    n = 0
    with Path(input_path).open(encoding="utf8") as fileh:
        for line_no, line in enumerate(fileh, 1):
            if limit and n >= limit:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                sentences = [str(s) for s in record["source"]]
                targets = [str(t) for t in record["target"]]
            except (ValueError, KeyError, TypeError) as err:
                raise ConversionError(input_path, line_no, f"not a SciTLDR record ({err!r})") from None
            sentences = [s for s in sentences if s.strip()]
            if not sentences or not targets:
                raise ConversionError(input_path, line_no, "a record without source sentences or targets")
            doc = _doc_from_sentences(nlp, sentences)
            oracle = greedy_oracle(sentences, targets, max_sentences=SCITLDR_ORACLE_SENTENCES)
            set_gold(doc, oracle, targets)
            doc.user_data["paper_id"] = str(record.get("paper_id", ""))
            if "source_labels" in record:
                doc.user_data["source_labels"] = [int(x) for x in record["source_labels"]]
            db.add(doc)
            n += 1
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(output_path)
    return {str(output_path): n}


def split_run_together(summary: str) -> List[str]:
    """Re-split a BBC summary whose sentences have no space between them.

    A quote after the full stop closes the sentence when the sentence has an
    odd number of quotes so far, and opens the next one otherwise.

    RETURNS (List[str]): The sentences.
    """
    sents: List[str] = []
    for line in summary.splitlines():
        start = 0
        i = 1
        while i < len(line):
            if line[i - 1] in ".!?":
                if line[i].isupper():
                    sents.append(line[start:i])
                    start = i
                elif line[i] in _QUOTES and i + 1 < len(line) and line[i + 1].isupper():
                    n_quotes = sum(line[start:i].count(q) for q in _QUOTES)
                    cut = i + 1 if n_quotes % 2 else i
                    sents.append(line[start:cut])
                    start = cut
            i += 1
        sents.append(line[start:])
    return [s.strip() for s in sents if s.strip()]


def _bbc_pairs(input_path: Path) -> List[Tuple[str, str]]:
    articles = Path(input_path) / "News Articles"
    summaries = Path(input_path) / "Summaries"
    if not articles.is_dir() or not summaries.is_dir():
        raise ConversionError(input_path, 0, "expected the folders 'News Articles' and 'Summaries'")
    pairs = []
    for path in sorted(articles.glob("*/*.txt")):
        if (summaries / path.parent.name / path.name).exists():
            pairs.append((path.parent.name, path.name))
    return pairs


def read_bbc_article(input_path: Path, category: str, name: str, nlp=None):
    """Read one BBC article and its summary as a gold doc.

    RETURNS (Doc): The article without its title (kept in user data),
        paragraphs joined by a space, sentences from the `sentencizer`, the
        greedy ROUGE oracle and the re-split summary as reference.
    """
    nlp = nlp or _blank_nlp()
    article_path = Path(input_path) / "News Articles" / category / name
    summary_path = Path(input_path) / "Summaries" / category / name
    lines = read_bbc_text(article_path).splitlines()
    if not lines or not lines[0].strip():
        raise ConversionError(article_path, 1, "the first line must be the title")
    title = lines[0].strip()
    body = " ".join(line.strip() for line in lines[1:] if line.strip())
    if not body:
        raise ConversionError(article_path, 2, "an article without text")
    ref_sents = split_run_together(read_bbc_text(summary_path))
    if not ref_sents:
        raise ConversionError(summary_path, 1, "an empty summary")
    doc = nlp(body)
    sentences = [s.text for s in doc.sents]
    oracle = greedy_oracle(sentences, ["\n".join(ref_sents)])
    set_gold(doc, oracle, ["\n".join(ref_sents)])
    doc.user_data["title"] = title
    doc.user_data["doc_id"] = f"{category}/{name}"
    return doc


def read_bbc_text(path: Path) -> str:
    """RETURNS (str): A BBC News Summary file's text. A few files are not
    UTF-8 (Latin-1 pound signs)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def bbc_split(
    input_path: Path,
    *,
    seed: int = DEFAULT_SEED,
    dev_fraction: float = DEFAULT_DEV_FRACTION,
    limit: Optional[int] = None,
) -> Dict[str, List[Tuple[str, str]]]:
    """The reproducible train/dev split of BBC News Summary that `convert_bbc`
    writes: the article/summary pairs shuffled with `seed`, the first
    `dev_fraction` of them (at least one) held out.

    RETURNS (Dict[str, List[Tuple[str, str]]]): "train" and "dev": (category,
        file name) of each article.
    """
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")
    pairs = _bbc_pairs(input_path)
    random.Random(seed).shuffle(pairs)
    if limit:
        pairs = pairs[:limit]
    n_dev = int(round(len(pairs) * dev_fraction))
    if dev_fraction > 0 and len(pairs) > 1:
        n_dev = max(1, n_dev)
    return {"dev": pairs[:n_dev], "train": pairs[n_dev:]}


def convert_bbc(
    input_path: Path,
    output_path: Path,
    seed: int = DEFAULT_SEED,
    dev_fraction: float = DEFAULT_DEV_FRACTION,
    limit: Optional[int] = None,
) -> Dict[str, int]:
    """Convert BBC News Summary to `train.spacy` and `dev.spacy` in the
    folder OUTPUT: a reproducible split of the article/summary pairs (shuffled
    with `seed`, `dev_fraction` held out).

    input_path (Path): The folder holding `News Articles/` and `Summaries/`.
    output_path (Path): The output folder.
    seed (int): Seed of the split.
    dev_fraction (float): Share of documents held out for validation.
    limit (Optional[int]): Convert at most this many documents, after
        shuffling (0 or None: all).
    RETURNS (Dict[str, int]): Docs written per output file.
    """
    from spacy.tokens import DocBin

    splits = bbc_split(input_path, seed=seed, dev_fraction=dev_fraction, limit=limit)
    nlp = _blank_nlp()
    output_path = Path(output_path)
    output_path.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in ("train", "dev"):
        db = DocBin(store_user_data=True)
        for category, name in splits[split]:
            db.add(read_bbc_article(input_path, category, name, nlp))
        path = output_path / f"{split}.spacy"
        db.to_disk(path)
        counts[str(path)] = len(splits[split])
    return counts
