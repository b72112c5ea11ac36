"""Silver data: a trained teacher pipeline annotates sentences, and what it
writes becomes training data for a smaller head (knowledge distillation).

Every component here writes its predictions where its gold is read from
(`bert_srl` frames in their span group, `bert_sentiment` class
probabilities in `doc.cats`), so the teacher's output docs are training docs
as they are: hard frames for SRL, soft class probabilities for sentiment
(whose loss takes any probabilities as its truth).

Only training text may be labelled: the teacher must never see the
evaluation data the student is scored on.
"""

from pathlib import Path
from typing import Iterable, Iterator, Sequence

from spacy.language import Language
from spacy.tokens import DocBin
from spacy.vocab import Vocab


def training_sentences(paths: Sequence[Path], vocab: Vocab, *, max_words: int = 0, min_words: int = 3) -> Iterator[str]:
    """The texts of the sentences of DocBins, in order (a doc without
    sentence boundaries is one sentence).

    paths (Sequence[Path]): DocBins.
    vocab (Vocab): The vocab to read them with.
    max_words (int): Stop before this many tokens in all; 0: read everything.
    min_words (int): Skip sentences shorter than this.
    YIELDS (str): Sentence texts.
    """
    words = 0
    for path in paths:
        for doc in DocBin().from_disk(path).get_docs(vocab):
            spans = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
            for span in spans:
                text = span.text.strip()
                if len(span) < min_words or not text:
                    continue
                if max_words and words + len(span) > max_words:
                    return
                words += len(span)
                yield text


def label_with_teacher(teacher: Language, texts: Iterable[str], output: Path, *, batch_size: int = 64) -> int:
    """Annotate texts with a teacher pipeline and save the docs as a DocBin.

    teacher (Language): The trained pipeline.
    texts (Iterable[str]): The texts.
    output (Path): The .spacy file to write.
    batch_size (int): Docs per `nlp.pipe` batch.
    RETURNS (int): The number of docs written.
    """
    # Annotations live in spans and cats; user data would also carry every
    # doc's hidden states (doc._.trf_data), gigabytes for a corpus.
    out = DocBin(store_user_data=False)
    # Components that know their output is not all fit to be gold say so
    # (`bert_srl` drops the rolesets it only guessed).
    prepare = [pipe.prepare_silver for _, pipe in teacher.pipeline if hasattr(pipe, "prepare_silver")]
    n_docs = 0
    for doc in teacher.pipe(texts, batch_size=batch_size):
        for prepare_doc in prepare:
            prepare_doc(doc)
        out.add(doc)
        n_docs += 1
    output.parent.mkdir(parents=True, exist_ok=True)
    out.to_disk(output)
    return n_docs
