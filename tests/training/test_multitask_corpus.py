from collections import Counter

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_bert_components.training.multitask_corpus import create_multitask_corpus_v1


def _docbin(path, label, n):
    nlp = spacy.blank("en")
    db = DocBin()
    for i in range(n):
        doc = nlp.make_doc(f"{label} number {i}")
        db.add(doc)
    db.to_disk(path)
    return str(path)


def test_mix_follows_temperature(tmp_path):
    nlp = spacy.blank("en")
    paths = {
        "big": _docbin(tmp_path / "big.spacy", "big", 400),
        "small": _docbin(tmp_path / "small.spacy", "small", 25),
    }
    for temperature, expected_small in [(1.0, 25 / 425), (0.5, 5 / 25), (0.0, 0.5)]:
        reader = create_multitask_corpus_v1(paths, temperature=temperature, seed=1)
        counts = Counter(eg.reference[0].text for eg in reader(nlp))
        assert sum(counts.values()) == 425
        assert abs(counts["small"] / 425 - expected_small) < 0.06


def test_every_small_example_seen_and_cycled(tmp_path):
    nlp = spacy.blank("en")
    paths = {
        "big": _docbin(tmp_path / "big.spacy", "big", 100),
        "small": _docbin(tmp_path / "small.spacy", "small", 10),
    }
    texts = [eg.reference.text for eg in create_multitask_corpus_v1(paths, temperature=0.0)(nlp)]
    small = [t for t in texts if t.startswith("small")]
    assert len(small) > 10 and set(small) == {f"small number {i}" for i in range(10)}


def test_missing_corpus_names_the_key(tmp_path):
    with pytest.raises(ValueError, match="paths.srl"):
        create_multitask_corpus_v1({"srl": str(tmp_path / "nope.spacy")})


def test_dev_mode_reads_each_corpus_once_in_order(tmp_path):
    nlp = spacy.blank("en")
    paths = {"a": _docbin(tmp_path / "a.spacy", "a", 5), "b": _docbin(tmp_path / "b.spacy", "b", 3)}
    texts = [eg.reference.text for eg in create_multitask_corpus_v1(paths, sample=False)(nlp)]
    assert texts == [f"a number {i}" for i in range(5)] + [f"b number {i}" for i in range(3)]
    limited = list(create_multitask_corpus_v1(paths, sample=False, limit=2)(nlp))
    assert len(limited) == 4
