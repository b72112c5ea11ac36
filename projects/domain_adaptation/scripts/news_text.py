"""Unlabelled news text for pre-training, as JSON lines (`id`, `text`): the
CoNLL-2003 training documents (Reuters, one row per -DOCSTART- document, the
tokens joined by spaces, labels dropped) and the BBC News training articles
(title and body; the same seeded train/dev split as `spacy-bert convert
bbc`, so no article of the BBC dev split is seen). The CoNLL dev set is never
read.

    python scripts/news_text.py CONLL_TRAIN BBC_DIR OUTPUT_DIR [--seed 0] [--dev-fraction 0.1] [--limit N]
"""

import json
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

import click

from spacy_bert_components.ner.convert import read_conll03
from spacy_bert_components.summarization.convert import DEFAULT_DEV_FRACTION, DEFAULT_SEED, bbc_split, read_bbc_text


def conll_documents(path: Path) -> Iterator[Tuple[str, str]]:
    """YIELDS (Tuple[str, str]): Id and text of each document; sentences on
    lines of their own."""
    for number, sentences in enumerate(read_conll03(path)):
        text = "\n".join(" ".join(token for token, _, _ in sentence) for sentence in sentences)
        yield f"conll03/train/{number:05d}", text


def bbc_training_articles(folder: Path, *, seed: int, dev_fraction: float) -> Iterator[Tuple[str, str]]:
    """YIELDS (Tuple[str, str]): Id and text (title, then body) of each
    article of the training split, in the converter's order."""
    for category, name in bbc_split(folder, seed=seed, dev_fraction=dev_fraction)["train"]:
        text = read_bbc_text(folder / "News Articles" / category / name).strip()
        yield f"bbc/{category}/{name}", text


def write_jsonl(path: Path, rows: Iterator[Tuple[str, str]], limit: Optional[int]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf8") as fileh:
        for doc_id, text in rows:
            if limit and n >= limit:
                break
            fileh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
            n += 1
    return n


@click.command()
@click.argument("conll_train", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("bbc_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of the BBC split (as `spacy-bert convert bbc`).",
)
@click.option(
    "--dev-fraction",
    type=float,
    default=DEFAULT_DEV_FRACTION,
    show_default=True,
    help="BBC dev share (as `spacy-bert convert bbc`).",
)
@click.option("--limit", type=int, default=0, help="At most this many documents per source (0: all).")
def main(conll_train: Path, bbc_dir: Path, output_dir: Path, seed: int, dev_fraction: float, limit: int) -> None:
    counts: Dict[str, int] = {
        "conll03_train.jsonl": write_jsonl(output_dir / "conll03_train.jsonl", conll_documents(conll_train), limit),
        "bbc_train.jsonl": write_jsonl(
            output_dir / "bbc_train.jsonl", bbc_training_articles(bbc_dir, seed=seed, dev_fraction=dev_fraction), limit
        ),
    }
    for name, n_docs in counts.items():
        click.echo(f"{output_dir / name}: {n_docs} documents")


if __name__ == "__main__":
    main()
