"""Fixtures of the batch runner tests: a tiny trained pipeline on disk, and
small inputs of every kind."""

import json
import random
from pathlib import Path
from typing import List

import pytest

from ..util import blank_with_encoder, listener_config

TRAIN = [
    ("Maria Santos visited Lisbon and loved it.", [(0, 12, "PERSON"), (21, 27, "GPE")], "pos"),
    ("The service in Paris was terrible.", [(15, 20, "GPE")], "neg"),
    ("John Smith hated the slow train to Berlin.", [(0, 10, "PERSON"), (35, 41, "GPE")], "neg"),
    ("A wonderful day with Anna in Rome.", [(21, 25, "PERSON"), (29, 33, "GPE")], "pos"),
]

WORDS = (
    "the a city mayor opened line new train day good bad slow fast Lisbon Paris Anna John said was and of in".split()
)


def make_texts(n: int, seed: int = 0) -> List[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))) + "." for _ in range(n)]


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_bert, tmp_path_factory) -> str:
    """RETURNS (str): A saved pipeline: sentencizer + shared tiny transformer +
    spaCy's ner and textcat on the listener, trained for a few steps."""
    from spacy.training import Example

    nlp = blank_with_encoder(tiny_bert)
    nlp.add_pipe(
        "ner",
        config={
            "model": {
                "@architectures": "spacy.TransitionBasedParser.v2",
                "state_type": "ner",
                "extra_state_tokens": False,
                "hidden_width": 16,
                "maxout_pieces": 2,
                "use_upper": True,
                "tok2vec": listener_config(),
            }
        },
    )
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatReduce.v1",
                "exclusive_classes": True,
                "use_reduce_first": False,
                "use_reduce_last": False,
                "use_reduce_max": False,
                "use_reduce_mean": True,
                "tok2vec": listener_config(),
            }
        },
    )
    examples = []
    for text, ents, label in TRAIN:
        doc = nlp.make_doc(text)
        cats = {"pos": float(label == "pos"), "neg": float(label == "neg")}
        examples.append(Example.from_dict(doc, {"entities": ents, "cats": cats}))
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(8):
        nlp.update(examples, sgd=optimizer)
    path = tmp_path_factory.mktemp("pipeline") / "tiny"
    nlp.to_disk(path)
    return str(path)


def write_jsonl(path: Path, records: List[dict]) -> Path:
    with path.open("w", encoding="utf8") as fileh:
        for record in records:
            fileh.write(json.dumps(record) + "\n")
    return path


def write_parquet(path: Path, texts: List[str], ids: List[str] = None, row_group_size: int = 16) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"text": texts}
    if ids is not None:
        columns["id"] = ids
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return path
