"""Silver data: a teacher's annotations become the student's training docs."""

import pytest
import spacy
from spacy.tokens import DocBin
from spacy.training import Example

from spacy_bert_components.cli.main import cli
from spacy_bert_components.training.silver import label_with_teacher, training_sentences

from ..util import blank_with_encoder, listener_config

TEXTS = ["The film was wonderful and moving.", "A boring, terrible mess of a film."]


def _sentiment_pipeline(tiny_bert, examples):
    nlp = blank_with_encoder(tiny_bert, hidden_states=True)
    nlp.add_pipe("bert_sentiment", name="sentiment", config={"model": {"tok2vec": listener_config(mix_layers=True)}})
    nlp.initialize(lambda: [Example(nlp.make_doc(doc.text), doc) for doc in examples])
    return nlp


@pytest.fixture(scope="module")
def teacher(tiny_bert):
    make = spacy.blank("en")
    gold = [make(text) for text in TEXTS]
    gold[0].cats = {"positive": 1.0, "negative": 0.0}
    gold[1].cats = {"positive": 0.0, "negative": 1.0}
    nlp = _sentiment_pipeline(tiny_bert, gold)
    for _ in range(5):  # away from the uniform output of a new head
        nlp.update([Example(nlp.make_doc(doc.text), doc) for doc in gold])
    return nlp


def _inputs(tmp_path, vocab):
    nlp = spacy.blank("en", vocab=vocab)
    nlp.add_pipe("sentencizer")
    docs = [nlp(" ".join(TEXTS)), spacy.blank("en", vocab=vocab)("Too short"), spacy.blank("en", vocab=vocab)(TEXTS[0])]
    path = tmp_path / "train.spacy"
    DocBin(docs=docs).to_disk(path)
    return path


def test_sentences_of_training_docs(teacher, tmp_path):
    path = _inputs(tmp_path, teacher.vocab)
    # Sentences where boundaries are set, whole docs elsewhere; short ones skipped.
    assert list(training_sentences([path], teacher.vocab)) == TEXTS + [TEXTS[0]]
    assert list(training_sentences([path], teacher.vocab, max_words=15)) == TEXTS[:1]


def test_teacher_output_is_training_data(teacher, tiny_bert, tmp_path):
    output = tmp_path / "silver.spacy"
    assert label_with_teacher(teacher, TEXTS, output) == 2
    docs = list(DocBin().from_disk(output).get_docs(teacher.vocab))
    assert [doc.text for doc in docs] == TEXTS
    for doc, expected in zip(docs, teacher.pipe(TEXTS)):
        # The teacher's probabilities, soft: the student learns them as truth.
        assert doc.cats == pytest.approx(expected.cats)
        assert 0.0 < doc.cats["positive"] < 1.0 and doc.cats["positive"] != 0.5
        assert "trf_data" not in str(doc.user_data)
    # A student learns them (spaCy's textcat would refuse values other than 0 and 1).
    student = _sentiment_pipeline(tiny_bert, docs)
    examples = [Example(student.make_doc(doc.text), doc) for doc in docs]
    first = student.update(examples)["sentiment"]
    for _ in range(20):
        last = student.update(examples)["sentiment"]
    assert 0.0 < last < first


def test_cli_writes_silver(teacher, tmp_path):
    from click.testing import CliRunner

    teacher.to_disk(tmp_path / "teacher")
    path = _inputs(tmp_path, teacher.vocab)
    result = CliRunner().invoke(cli, ["silver", str(tmp_path / "teacher"), str(tmp_path / "out.spacy"), str(path)])
    assert result.exit_code == 0, result.output
    assert "3 docs labelled" in result.output
    assert len(DocBin().from_disk(tmp_path / "out.spacy")) == 3
