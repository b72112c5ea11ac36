"""The `bert_summarizer` factory and pipe: extractive summaries from sentence
scores in document context (BertSumExt on the shared BERT encoder)."""

from itertools import islice
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_get_examples
from thinc.api import Config, Model, Optimizer, set_dropout_rate
from thinc.types import Floats1d

from ..arrays import sigmoid
from ..layers.sentences import sentence_bounds
from ..span_groups import check_writable, groups_of_kind, write_owned_group
from ..torch_gemm import use_torch_gemm
from .gold import gold_char_spans, has_gold

DEFAULT_SPANS_KEY = "summary"
DEFAULT_SENTENCES_KEY = "summary_sentences"
DEFAULT_N_SENTENCES = 3
# What the two span groups hold: the getters find them by it, under any key.
SUMMARY_KIND = "spacy-bert-components.summary.v1"
SENTENCES_KIND = "spacy-bert-components.summary_sentences.v1"

DEFAULT_SUMMARIZER_CONFIG = """
[model]
@architectures = "spacy-bert-components.SummarizerModel.v1"
hidden_width = 256
n_layers = 2
n_heads = 4
dropout = 0.1

[model.tok2vec]
@architectures = "spacy-bert-components.Tok2VecEncoder.v1"
name = "default"
"""
DEFAULT_SUMMARIZER_MODEL = Config().from_str(DEFAULT_SUMMARIZER_CONFIG)["model"]


@Language.factory(
    "bert_summarizer",
    assigns=["doc.spans"],
    requires=["token.is_sent_start"],
    default_config={
        "model": DEFAULT_SUMMARIZER_MODEL,
        "spans_key": DEFAULT_SPANS_KEY,
        "sentences_key": DEFAULT_SENTENCES_KEY,
        "n_sentences": DEFAULT_N_SENTENCES,
        "ratio": None,
        "block_trigrams": True,
        "scorer": {"@scorers": "spacy-bert-components.summary_scorer.v1"},
    },
    default_score_weights={
        "summary_rouge1": 0.4,
        "summary_rouge2": 0.3,
        "summary_rougeL": 0.3,
        "summary_lead_rouge1": None,
        "summary_lead_rouge2": None,
        "summary_lead_rougeL": None,
    },
)
def make_bert_summarizer(
    nlp: Language,
    name: str,
    model: Model[List[Doc], List[Floats1d]],
    spans_key: str,
    sentences_key: str,
    n_sentences: Optional[int],
    ratio: Optional[float],
    block_trigrams: bool,
    scorer: Optional[Callable],
) -> "SentenceSummarizer":
    """Create a `bert_summarizer`: see `SentenceSummarizer`."""
    use_torch_gemm(model)  # the head's dense layers on torch's faster CPU gemm
    return SentenceSummarizer(
        nlp.vocab,
        model,
        name,
        spans_key=spans_key,
        sentences_key=sentences_key,
        n_sentences=n_sentences,
        ratio=ratio,
        block_trigrams=block_trigrams,
        scorer=scorer,
    )


def _install_extensions() -> None:
    if not Doc.has_extension("summary"):
        Doc.set_extension("summary", getter=_get_doc_summary)
    if not Span.has_extension("summary_score"):
        Span.set_extension("summary_score", getter=_get_span_score)


def _get_doc_summary(doc: Doc) -> Optional[str]:
    groups = groups_of_kind(doc, SUMMARY_KIND)
    if not groups:
        return None
    return " ".join(span.text.strip() for span in groups[0])


def _get_span_score(span: Span) -> Optional[float]:
    for group in groups_of_kind(span.doc, SENTENCES_KIND):
        for sent, score in zip(group, group.attrs.get("scores", [])):
            if sent.start == span.start and sent.end == span.end:
                return score
    return None


_install_extensions()


class SentenceSummarizer(TrainablePipe):
    """Scores every sentence of a doc and keeps the best as its extractive
    summary.

    Writes `doc.spans[spans_key]` (the summary's sentences in document order,
    `attrs["scores"]` their scores) and `doc.spans[sentences_key]` (every
    sentence, `attrs["scores"]` aligned). Getters: `doc._.summary` (the
    summary's text) and `span._.summary_score` (a sentence's score), which
    find the groups under whatever keys are configured.
    """

    def __init__(
        self,
        vocab,
        model: Model[List[Doc], List[Floats1d]],
        name: str = "summarizer",
        *,
        spans_key: str = DEFAULT_SPANS_KEY,
        sentences_key: str = DEFAULT_SENTENCES_KEY,
        n_sentences: Optional[int] = DEFAULT_N_SENTENCES,
        ratio: Optional[float] = None,
        block_trigrams: bool = True,
        scorer: Optional[Callable] = None,
    ) -> None:
        """
        vocab (Vocab): The shared vocabulary.
        model (Model[List[Doc], List[Floats1d]]): One logit per sentence.
        name (str): The component's name.
        spans_key (str): Span group for the summary's sentences.
        sentences_key (str): Span group for every sentence and its score.
        n_sentences (Optional[int]): Sentences in a summary; with `ratio`, the
            most it may have.
        ratio (Optional[float]): Share of the doc's sentences to keep (at least one).
        block_trigrams (bool): Skip a sentence that shares a word trigram with
            one already chosen (redundancy control, as in BertSumExt).
        scorer (Optional[Callable]): The scoring method.
        """
        if n_sentences is None and ratio is None:
            raise ValueError("bert_summarizer needs n_sentences or ratio (or both) set.")
        if spans_key == sentences_key:
            raise ValueError("bert_summarizer's spans_key and sentences_key must differ.")
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.cfg = {
            "spans_key": spans_key,
            "sentences_key": sentences_key,
            "n_sentences": n_sentences,
            "ratio": ratio,
            "block_trigrams": block_trigrams,
        }

    # -- prediction ---------------------------------------------------------

    def predict(self, docs: Iterable[Doc]) -> List[Floats1d]:
        """RETURNS (List[Floats1d]): One logit per sentence of each doc."""
        docs = list(docs)
        if not docs:
            return []
        return self.model.predict(docs)

    def set_annotations(self, docs: Iterable[Doc], scores: List[Floats1d]) -> None:
        """Write the summary and every sentence's score to `doc.spans`."""
        for doc, logits in zip(docs, scores):
            # Both keys are checked before either is written.
            check_writable(doc, self.cfg["sentences_key"], kind=SENTENCES_KIND, annotator=self.name)
            check_writable(doc, self.cfg["spans_key"], kind=SUMMARY_KIND, annotator=self.name)
            bounds = sentence_bounds(doc, required_by="bert_summarizer")
            probs = [float(p) for p in sigmoid(self.model.ops.to_numpy(logits))]
            sents = [doc[start:end] for start, end in bounds]
            chosen = self.select(sents, probs)
            write_owned_group(
                doc,
                self.cfg["sentences_key"],
                sents,
                kind=SENTENCES_KIND,
                annotator=self.name,
                attrs={"scores": probs},
            )
            write_owned_group(
                doc,
                self.cfg["spans_key"],
                [sents[i] for i in chosen],
                kind=SUMMARY_KIND,
                annotator=self.name,
                attrs={"scores": [probs[i] for i in chosen]},
            )

    def n_to_select(self, n_sents: int) -> int:
        """RETURNS (int): How many sentences a summary of a doc of `n_sents` keeps."""
        n, ratio = self.cfg["n_sentences"], self.cfg["ratio"]
        if ratio is not None:
            k = max(1, int(round(ratio * n_sents)))
            if n is not None:
                k = min(k, n)
        else:
            k = n
        return min(k, n_sents)

    def select(self, sents: Sequence[Span], probs: Sequence[float]) -> List[int]:
        """Choose the summary: best scores first, skipping redundant
        sentences, returned in document order.

        RETURNS (List[int]): Indices into `sents`.
        """
        k = self.n_to_select(len(sents))
        order = sorted(range(len(sents)), key=lambda i: (-probs[i], i))
        block = self.cfg["block_trigrams"]
        chosen: List[int] = []
        seen: Set[Tuple[str, str, str]] = set()
        for i in order:
            if len(chosen) >= k:
                break
            if not sents[i].text.strip():
                continue  # whitespace-only "sentences" never make a summary
            if block:
                grams = _trigrams(sents[i])
                if grams & seen:
                    continue
                seen |= grams
            chosen.append(i)
        return sorted(chosen)

    # -- training -----------------------------------------------------------

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from a batch of examples; docs without summarization gold
        give no loss. RETURNS (Dict[str, float]): The updated losses."""
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "SentenceSummarizer.update")
        if not examples:
            return losses
        for eg in examples:
            _ensure_sentences(eg)
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update([eg.predicted for eg in examples])
        loss, d_scores = self.get_loss(examples, scores)
        backprop(d_scores)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: List[Floats1d]) -> Tuple[float, List[Floats1d]]:
        """Binary cross-entropy of each sentence's score against the oracle,
        averaged over the sentences of docs that have gold.

        RETURNS (Tuple[float, List[Floats1d]]): The loss and its gradient.
        """
        ops = self.model.ops
        d_scores: List[Floats1d] = []
        loss = 0.0
        n_gold = 0
        labels_per_doc = []
        for eg in examples:
            labels = sentence_labels(eg)
            labels_per_doc.append(labels)
            if labels is not None:
                n_gold += len(labels)
        for logits, labels in zip(scores, labels_per_doc):
            if labels is None or len(labels) == 0:
                d_scores.append(ops.alloc1f(len(logits)))
                continue
            x = ops.to_numpy(logits).astype("float32")
            y = numpy.asarray(labels, dtype="float32")
            p = sigmoid(x)
            # log(1 + exp(-|x|)) + max(x, 0) - x*y: stable BCE with logits.
            loss += float((numpy.log1p(numpy.exp(-numpy.abs(x))) + numpy.maximum(x, 0) - x * y).sum())
            d_scores.append(ops.asarray1f((p - y) / max(n_gold, 1)))
        return loss / max(n_gold, 1), d_scores

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
    ) -> None:
        """Initialize the model on a sample of the training examples."""
        validate_get_examples(get_examples, "SentenceSummarizer.initialize")
        docs = []
        for eg in islice(get_examples(), 10):
            _ensure_sentences(eg)
            docs.append(eg.predicted)
        self.model.initialize(X=docs)

    def add_label(self, label: str) -> int:
        raise NotImplementedError("bert_summarizer has no labels.")


def validate_examples(examples: List[Example], method: str) -> None:
    for eg in examples:
        if not isinstance(eg, Example):
            raise TypeError(f"{method} expects Example objects, got {type(eg).__name__}.")


def _ensure_sentences(eg: Example) -> None:
    """Give the predicted doc the reference's sentences when nothing set them
    (during training spaCy does not run the sentencizer on predicted docs)."""
    pred, ref = eg.predicted, eg.reference
    if len(pred) == 0 or pred.has_annotation("SENT_START"):
        return
    if ref.has_annotation("SENT_START"):
        starts = {sent.start_char for sent in ref.sents}
        for i, token in enumerate(pred):
            token.is_sent_start = i == 0 or token.idx in starts
    else:
        for i, token in enumerate(pred):
            token.is_sent_start = i == 0


def sentence_labels(eg: Example) -> Optional[List[float]]:
    """The oracle label of each predicted sentence: 1.0 when most of its
    characters are in an oracle sentence of the reference.

    RETURNS (Optional[List[float]]): None when the reference has no
        summarization gold (a doc from another task's data).
    """
    if not has_gold(eg.reference):
        return None
    gold = gold_char_spans(eg.reference)
    labels = []
    for start, end in sentence_bounds(eg.predicted, required_by="bert_summarizer"):
        span = eg.predicted[start:end]
        a, b = span.start_char, span.end_char
        covered = sum(max(0, min(b, gb) - max(a, ga)) for ga, gb in gold)
        labels.append(1.0 if b > a and covered * 2 > (b - a) else 0.0)
    return labels


def _trigrams(span: Span) -> Set[Tuple[str, str, str]]:
    words = [t.lower_ for t in span if not (t.is_punct or t.is_space)]
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}  # type: ignore[misc]
