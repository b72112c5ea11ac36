"""Small summarization data sets in the shared data's formats, written by the
tests (never copied from the real data):

* `write_scitldr`: SciTLDR-A JSON lines (`source` sentences, `source_labels`,
  `rouge_scores`, `paper_id`, `target` TLDRs), train.jsonl and dev.jsonl; each
  TLDR restates one sentence, the one `source_labels` marks.
* `write_bbc`: BBC News Summary folders, `News Articles/<category>/NNN.txt`
  (title, blank line, paragraphs) and `Summaries/<category>/NNN.txt` (sentences
  of the article run together with no space after the full stop); one article
  is Latin-1, as a few of the real ones are.
"""

import json
from pathlib import Path
from typing import Dict, List, Tuple

# (source sentences, index of the sentence the TLDR restates, TLDRs)
SCITLDR_TRAIN: List[Tuple[List[str], int, List[str]]] = [
    (
        [
            "Training deep networks needs large labelled data sets.",
            "We propose a contrastive pretraining objective for sparse graphs.",
            "Experiments on four benchmarks show consistent gains.",
        ],
        1,
        ["A contrastive pretraining objective for sparse graphs."],
    ),
    (
        [
            "Mixed precision training speeds up neural networks.",
            "Loss scaling keeps small gradients from vanishing.",
            "We introduce adaptive loss scaling computed per layer during training.",
            "It removes a hyperparameter that needs tuning.",
        ],
        2,
        ["Adaptive per layer loss scaling for mixed precision training."],
    ),
    (
        [
            "Word embeddings encode social biases.",
            "We measure gender bias in translation systems with a new test suite.",
            "Most systems fail the test.",
        ],
        1,
        ["A test suite that measures gender bias in translation systems."],
    ),
    (
        [
            "Reinforcement learning agents explore poorly in sparse reward tasks.",
            "Curiosity rewards help but are noisy.",
            "We show that count based exploration bonuses scale to image inputs with hashing.",
        ],
        2,
        ["Count based exploration bonuses scale to images with hashing."],
    ),
]
SCITLDR_DEV: List[Tuple[List[str], int, List[str]]] = [
    (
        [
            "Transformers are slow on long sequences.",
            "We approximate attention with random features in linear time.",
            "Accuracy stays close to full attention.",
        ],
        1,
        ["Linear time attention with random features.", "Random features approximate attention in linear time."],
    ),
    (
        [
            "Pruning shrinks trained networks.",
            "We find sparse subnetworks at initialization that train to full accuracy.",
            "They exist across architectures.",
        ],
        1,
        ["Sparse subnetworks found at initialization train to full accuracy."],
    ),
]

# category -> (title, paragraphs, indices of the sentences in the summary).
# Sentences are split at ". " by the writer.
BBC_ARTICLES: Dict[str, List[Tuple[str, List[str], List[int]]]] = {
    "business": [
        (
            "Profits rise at media giant",
            [
                "Quarterly profits at the media group rose 12% to $1.2bn. Sales of broadband connections grew strongly.",
                "The firm said advertising revenue also rose. Its shares closed higher in New York.",
                "Analysts expect further growth next year.",
            ],
            [0, 2],
        ),
        (
            "Dollar falls against the euro",
            [
                "The dollar fell to a record low against the euro on Monday. Traders worried about the trade deficit.",
                "The central bank kept interest rates unchanged. Exporters welcomed the weaker currency.",
            ],
            [0, 1],
        ),
        (
            "Airline cuts jobs",
            [
                "The airline will cut 2,000 jobs to save costs. Fuel prices have risen sharply this year.",
                "Unions said they would fight the cuts. The company expects to return to profit in 2006.",
            ],
            [0, 2],
        ),
        (
            "Retail sales slow",
            [
                "Retail sales grew more slowly in December than expected. Clothing shops had a difficult month.",
                "Food retailers did better. Economists said consumers were cautious after the holiday.",
            ],
            [0, 1],
        ),
    ],
    "sport": [
        (
            "United win the derby",
            [
                "United beat City 2-1 in a tense derby on Saturday. Both goals came in the second half.",
                "The manager praised his young defence. City remain third in the table.",
            ],
            [0, 1],
        ),
        (
            "Champion withdraws from open",
            [
                "The defending champion has withdrawn from the open with a back injury. She hopes to return next month.",
                "Her coach said the decision was a precaution. The tournament starts on Monday.",
            ],
            [0, 3],
        ),
    ],
}
# This article's file is written in Latin-1 (a pound sign), as some BBC files are.
LATIN1_ARTICLE = ("business", 0)
LATIN1_TEXT = " The deal is worth \u00a3600m."


def _sentences(paragraph: str) -> List[str]:
    parts = paragraph.split(". ")
    return [p if p.endswith(".") else p + "." for p in parts]


def _record(paper_id: str, source: List[str], label: int, targets: List[str]) -> dict:
    return {
        "source": source,
        "source_labels": [int(i == label) for i in range(len(source))],
        "rouge_scores": [0.5 if i == label else 0.1 for i in range(len(source))],
        "paper_id": paper_id,
        "target": targets,
        "title": "",
    }


def write_scitldr(folder: Path) -> Path:
    """Write train.jsonl and dev.jsonl into `folder` (created).

    RETURNS (Path): The folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", SCITLDR_TRAIN), ("dev", SCITLDR_DEV)):
        lines = [json.dumps(_record(f"{name}-{i}", *row)) for i, row in enumerate(rows)]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf8")
    return folder


def write_bbc(folder: Path) -> Path:
    """Write `News Articles/` and `Summaries/` into `folder` (created).

    RETURNS (Path): The folder.
    """
    for category, articles in BBC_ARTICLES.items():
        (folder / "News Articles" / category).mkdir(parents=True, exist_ok=True)
        (folder / "Summaries" / category).mkdir(parents=True, exist_ok=True)
        for i, (title, paragraphs, summary) in enumerate(articles):
            paragraphs = list(paragraphs)
            encoding = "utf8"
            if (category, i) == LATIN1_ARTICLE:
                paragraphs[-1] += LATIN1_TEXT
                encoding = "latin-1"
            sentences = [s for p in paragraphs for s in _sentences(p)]
            name = f"{i + 1:03d}.txt"
            article = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
            (folder / "News Articles" / category / name).write_bytes(article.encode(encoding))
            (folder / "Summaries" / category / name).write_bytes(
                "".join(sentences[j] for j in summary).encode(encoding)
            )
    return folder


def n_bbc_articles() -> int:
    return sum(len(articles) for articles in BBC_ARTICLES.values())
