"""The `bert_sentiment` factory: spaCy's single-label `TextCategorizer`,
scoring sentence by sentence.

Written per document:
* `doc.cats`: the class probabilities (labels learned from the data);
* `doc.sentiment`: P(positive) - P(negative), in [-1, 1];
* `doc.spans[spans_key]`: the sentences, each labelled with its class, with
  the per-sentence scores in the group's `attrs` (plain lists, so DocBin,
  `doc.to_bytes()` and pickle keep them). `span._.sentiment` and
  `doc._.sentiment` read them back.
"""

from typing import Any, Callable, Dict, Iterable, Optional

from spacy.language import Language
from spacy.pipeline.textcat import TextCategorizer
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate

from ..span_groups import groups_of_kind, write_owned_group
from ..torch_gemm import use_torch_gemm
from .model import SentimentScores, sentence_lengths

DEFAULT_SPANS_KEY = "sentiment"
DEFAULT_POSITIVE_LABEL = "positive"
DEFAULT_NEGATIVE_LABEL = "negative"
# Marks a span group as written by a sentiment component, so the extension
# getters find it under any key and others' groups are never overwritten.
SENTENCE_SENTIMENT_KIND = "spacy-bert-components.sentence_sentiment.v1"

DEFAULT_SENTIMENT_CONFIG = """
[model]
@architectures = "spacy-bert-components.SentimentPoolingModel.v1"
pooling = "mean_max"
hidden_width = 0
dropout = 0.1

[model.tok2vec]
@architectures = "spacy-bert-components.Tok2VecEncoder.v1"
name = "default"
"""
DEFAULT_SENTIMENT_MODEL = Config().from_str(DEFAULT_SENTIMENT_CONFIG)["model"]


def get_span_sentiment(span: Span) -> Optional[float]:
    """The signed sentiment of a span: its sentence's score, or for any other
    span the token-weighted mean of the sentences it overlaps. None when no
    sentiment component annotated the doc."""
    for group in groups_of_kind(span.doc, SENTENCE_SENTIMENT_KIND):
        scores = group.attrs["scores"]
        total, weight = 0.0, 0
        for sent, score in zip(group, scores):
            if sent.start == span.start and sent.end == span.end:
                return score
            overlap = min(sent.end, span.end) - max(sent.start, span.start)
            if overlap > 0:
                total += overlap * score
                weight += overlap
        return total / weight if weight else None
    return None


def get_doc_sentiment(doc: Doc) -> Optional[float]:
    """The signed document sentiment as stored with the sentence scores (it
    survives DocBin, which does not keep the built-in `doc.sentiment`)."""
    for group in groups_of_kind(doc, SENTENCE_SENTIMENT_KIND):
        return group.attrs.get("doc_score")
    return None


def install_extensions() -> None:
    """Register `Span._.sentiment` and `Doc._.sentiment` once."""
    if not Span.has_extension("sentiment"):
        Span.set_extension("sentiment", getter=get_span_sentiment)
    if not Doc.has_extension("sentiment"):
        Doc.set_extension("sentiment", getter=get_doc_sentiment)


# On import too, so docs read back from a DocBin answer `span._.sentiment`
# without a pipeline being built first.
install_extensions()


class SentimentCategorizer(TextCategorizer):
    """Exclusive-class `TextCategorizer` whose model scores each sentence and
    combines the sentence scores per document.

    Labels and settings live in `self.cfg`, so spaCy's `to_disk` keeps them.
    A document without gold categories contributes no loss.
    """

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "sentiment",
        *,
        spans_key: str = DEFAULT_SPANS_KEY,
        positive_label: str = DEFAULT_POSITIVE_LABEL,
        negative_label: str = DEFAULT_NEGATIVE_LABEL,
        scorer: Optional[Callable] = None,
    ) -> None:
        super().__init__(vocab, model, name, threshold=0.0, scorer=scorer)
        self.cfg.update({"spans_key": spans_key, "positive": positive_label, "negative": negative_label})
        install_extensions()

    @property
    def support_missing_values(self) -> bool:
        # A doc without cats (e.g. from another task's data) is no evidence
        # for any class: its truths are masked, not all-negative.
        return True

    def predict(self, docs: Iterable[Doc]) -> SentimentScores:
        """Document and sentence probabilities; docs are not modified.

        docs (Iterable[Doc]): The documents.
        RETURNS (Tuple[Floats2d, Ragged]): Per doc and per sentence.
        """
        docs = list(docs)
        self._require_labels()
        return self.model.predict(docs)

    def set_annotations(self, docs: Iterable[Doc], scores: SentimentScores) -> None:
        """Write `doc.cats`, `doc.sentiment` and the sentence span group.

        docs (Iterable[Doc]): The documents to modify.
        scores (Tuple[Floats2d, Ragged]): The output of `predict`.
        """
        doc_probs, sent_probs = scores
        labels = list(self.labels)
        key = self.cfg["spans_key"]
        start = 0
        for i, doc in enumerate(docs):
            probs = doc_probs[i].tolist()
            n_sents = int(sent_probs.lengths[i])
            rows = sent_probs.data[start : start + n_sents].tolist()
            start += n_sents
            doc.cats.update({label: p for label, p in zip(labels, probs)})
            doc_score = self._signed(dict(zip(labels, probs)))
            doc.sentiment = doc_score
            offsets, tok = [], 0
            for n in sentence_lengths(doc):
                offsets.append((tok, tok + n))
                tok += n
            spans = [
                Span(doc, s, e, label=labels[max(range(len(labels)), key=row.__getitem__)])
                for (s, e), row in zip(offsets, rows)
            ]
            write_owned_group(
                doc,
                key,
                spans,
                kind=SENTENCE_SENTIMENT_KIND,
                annotator=self.name,
                attrs={
                    "labels": labels,
                    "probs": rows,
                    "scores": [self._signed(dict(zip(labels, row))) for row in rows],
                    "doc_score": doc_score,
                },
            )

    def _signed(self, probs: Dict[str, float]) -> float:
        return probs.get(self.cfg["positive"], 0.0) - probs.get(self.cfg["negative"], 0.0)

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from a batch: document probabilities against `doc.cats`.

        examples (Iterable[Example]): The batch.
        drop (float): The dropout rate.
        sgd (Optional[Optimizer]): The optimizer.
        losses (Optional[Dict[str, float]]): Losses so far, by component name.
        RETURNS (Dict[str, float]): The updated losses.
        """
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "SentimentCategorizer.update")
        self._validate_categories(examples)
        if not any(len(eg.predicted) for eg in examples):
            return losses
        set_dropout_rate(self.model, drop)
        (doc_probs, _), backprop = self.model.begin_update([eg.predicted for eg in examples])
        loss, d_scores = self.get_loss(examples, doc_probs)
        backprop(d_scores)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def _validate_categories(self, examples: Iterable[Example]) -> None:
        """Gold `doc.cats` must be a probability distribution over the labels:
        one 1.0 as in SST-2, or a teacher's probabilities (silver data, see
        `training/silver.py`), which the cross-entropy loss takes as they
        are. spaCy's textcat accepts 0 and 1 only."""
        for eg in examples:
            cats = eg.reference.cats
            if not cats:
                continue  # another task's doc: no evidence, masked
            values = list(cats.values())
            if any(not 0.0 <= v <= 1.0 for v in values) or abs(sum(values) - 1.0) > 1e-3:
                raise ValueError(
                    f"{self.name}: the gold doc.cats {dict(cats)} of {eg.reference.text[:60]!r} are not "
                    "probabilities that sum to 1 (one label 1.0 and the others 0.0, "
                    "or a teacher's probabilities)."
                )

    def rehearse(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, float]:
        raise NotImplementedError(f"{self.name}: rehearsal is not supported.")


@Language.factory(
    "bert_sentiment",
    assigns=["doc.cats", "doc.sentiment", "doc.spans"],
    default_config={
        "model": DEFAULT_SENTIMENT_MODEL,
        "spans_key": DEFAULT_SPANS_KEY,
        "positive_label": DEFAULT_POSITIVE_LABEL,
        "negative_label": DEFAULT_NEGATIVE_LABEL,
        "scorer": {"@scorers": "spacy-bert-components.sentiment_scorer.v1"},
    },
    default_score_weights={"sentiment_acc": 1.0, "sentiment_macro_f": 0.0, "sentiment_f_per_type": None},
)
def make_bert_sentiment(
    nlp: Language,
    name: str,
    model: Model,
    spans_key: str,
    positive_label: str,
    negative_label: str,
    scorer: Optional[Callable],
) -> SentimentCategorizer:
    """Create a `bert_sentiment` component.

    model (Model): `spacy-bert-components.SentimentPoolingModel.v1` by default, on its
        own default encoder (`Tok2VecEncoder.v1`); use `Listener.v1` as its
        tok2vec to share the pipeline's `transformer`.
    spans_key (str): `doc.spans` key for the scored sentences.
    positive_label (str): The class counted +1 in `doc.sentiment`.
    negative_label (str): The class counted -1 (a neutral class counts 0).
    scorer (Optional[Callable]): Scores `sentiment_acc` and `sentiment_macro_f`.
    RETURNS (SentimentCategorizer): The component.
    """
    use_torch_gemm(model)  # the head's dense layers on torch's faster CPU gemm
    return SentimentCategorizer(
        nlp.vocab,
        model,
        name=name,
        spans_key=spans_key,
        positive_label=positive_label,
        negative_label=negative_label,
        scorer=scorer,
    )
