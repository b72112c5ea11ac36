"""Fixtures of the pre-training tests: a toy corpus of one repeated text,
and small settings that train the tiny BERT in seconds."""

import json
from pathlib import Path

import pytest

from spacy_bert_components.pretrain.settings import PretrainSettings

TOY_TEXT = "The quick brown fox jumps over the lazy dog near the river bank."
TOY_ROWS = 200


def write_jsonl(path: Path, records) -> Path:
    with path.open("w", encoding="utf8") as fileh:
        for record in records:
            fileh.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="session")
def toy_corpus(tmp_path_factory) -> Path:
    """RETURNS (Path): JSON lines of one text repeated: held-out rows repeat
    training rows, so a few steps must lower the held-out loss."""
    path = tmp_path_factory.mktemp("pretrain_corpus") / "toy.jsonl"
    return write_jsonl(path, ({"id": f"row{i}", "text": TOY_TEXT} for i in range(TOY_ROWS)))


def small_settings(**overrides) -> PretrainSettings:
    values = dict(
        max_steps=6,
        batch_size=4,
        seq_len=32,
        lr=2e-3,
        warmup_steps=1,
        eval_fraction=0.1,
        checkpoint_every=2,
        threads=1,
    )
    values.update(overrides)
    return PretrainSettings(**values)


class Quiet:
    """A progress reporter that reports nothing (and records the steps)."""

    def __init__(self, total: int, *, start: int = 0) -> None:
        self.steps = []

    def update(self, step: int, loss) -> None:
        self.steps.append(step)

    def close(self) -> None:
        pass
