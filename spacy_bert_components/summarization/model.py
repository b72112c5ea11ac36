"""Thinc wiring of the summarizer: docs → token vectors (the shared encoder's
listener, or an own encoder) → sentence scorer (PyTorch) → one logit per
sentence of each doc, in `doc.sents` order."""

from dataclasses import dataclass
from typing import Any, Callable, List, Tuple

import numpy
import torch
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v2, torch2xp, xp2torch
from thinc.types import Floats1d, Floats2d

from ..errors import MissingUpstreamError
from ..layers.sentences import sentence_bounds
from .pytorch_sentence_scorer import SentenceScorer

DEFAULT_HIDDEN_WIDTH = 256
DEFAULT_N_LAYERS = 2
DEFAULT_N_HEADS = 4
DEFAULT_DROPOUT = 0.1


@dataclass
class SentenceLayout:
    """Where each token's vector goes in the padded (docs × sentences) grid."""

    token_sentence: numpy.ndarray  # (n_tokens,) int64, row in the flat grid
    sentence_lengths: numpy.ndarray  # (n_docs * max_sents,) tokens per sentence
    padding_mask: numpy.ndarray  # (n_docs, max_sents) bool
    n_sentences: List[int]
    n_tokens: List[int]

    @classmethod
    def from_docs(cls, docs: List[Doc]) -> "SentenceLayout":
        bounds = [sentence_bounds(doc, required_by="bert_summarizer") for doc in docs]
        n_sents = [len(b) for b in bounds]
        max_sents = max(max(n_sents, default=0), 1)
        token_sentence: List[numpy.ndarray] = []
        lengths = numpy.zeros(len(docs) * max_sents, dtype="int64")
        mask = numpy.ones((len(docs), max_sents), dtype=bool)
        for i, (doc, doc_bounds) in enumerate(zip(docs, bounds)):
            rows = numpy.zeros(len(doc), dtype="int64")
            for j, (start, end) in enumerate(doc_bounds):
                rows[start:end] = i * max_sents + j
                lengths[i * max_sents + j] = end - start
                mask[i, j] = False
            token_sentence.append(rows)
        return cls(
            numpy.concatenate(token_sentence) if token_sentence else numpy.zeros(0, dtype="int64"),
            lengths,
            mask,
            n_sents,
            [len(doc) for doc in docs],
        )


@registry.architectures("spacy-bert-components.SummarizerModel.v1")
def build_summarizer_model_v1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = DEFAULT_HIDDEN_WIDTH,
    n_layers: int = DEFAULT_N_LAYERS,
    n_heads: int = DEFAULT_N_HEADS,
    dropout: float = DEFAULT_DROPOUT,
) -> Model[List[Doc], List[Floats1d]]:
    """Sentence scorer in document context (BertSumExt): the mean of each
    sentence's token vectors, projected, plus its position in the document,
    read by a small transformer encoder over the sentences; a logit each.

    tok2vec (Model[List[Doc], List[Floats2d]]): Token vectors (a listener on
        the shared `transformer`, or `Tok2VecEncoder.v1`).
    hidden_width (int): Width of the sentence vectors in the scorer.
    n_layers (int): Inter-sentence transformer layers (0: none).
    n_heads (int): Attention heads; must divide `hidden_width`.
    dropout (float): Dropout inside the scorer.
    RETURNS (Model[List[Doc], List[Floats1d]]): One logit per sentence per doc.
    """
    if n_layers > 0 and hidden_width % n_heads:
        raise ValueError(
            f"hidden_width ({hidden_width}) must be a multiple of n_heads ({n_heads}) in the summarizer's [model]."
        )
    scorer = PyTorchWrapper_v2(
        SentenceScorer(hidden_width, n_layers, n_heads, dropout),
        convert_inputs=_convert_inputs,
        convert_outputs=_convert_outputs,
    )
    return Model(
        "bert_summarizer_model",
        forward,
        init=init,
        layers=[tok2vec, scorer],
        refs={"tok2vec": tok2vec, "scorer": scorer},
    )


def init(model: Model, X: Any = None, Y: Any = None) -> None:
    tok2vec = model.get_ref("tok2vec")
    # Materialize the scorer's lazily sized input projection now where the
    # token vectors are available. A frozen shared encoder is initialized
    # after the heads (`init_frozen_encoder`): then the first forward pass
    # sizes it instead.
    try:
        tok2vec.initialize(X=X)
        tokvecs = tok2vec.predict(X) if X else []
    except MissingUpstreamError:
        tok2vec.initialize()
        return
    if any(len(t) for t in tokvecs):
        model.get_ref("scorer").predict((tokvecs, SentenceLayout.from_docs(X)))


def forward(model: Model, docs: List[Doc], is_train: bool) -> Tuple[List[Floats1d], Callable]:
    tok2vec = model.get_ref("tok2vec")
    scorer = model.get_ref("scorer")
    tokvecs, backprop_tok2vec = tok2vec(docs, is_train)
    layout = SentenceLayout.from_docs(docs)
    if sum(layout.n_sentences) == 0:
        scores = [model.ops.alloc1f(0) for _ in docs]

        def backprop_empty(d_scores: List[Floats1d]) -> List[Doc]:
            return backprop_tok2vec([model.ops.alloc2f(*t.shape) for t in tokvecs])

        return scores, backprop_empty
    scores, backprop_scorer = scorer((tokvecs, layout), is_train)

    def backprop(d_scores: List[Floats1d]) -> List[Doc]:
        return backprop_tok2vec(backprop_scorer(d_scores))

    return scores, backprop


def _convert_inputs(
    model: Model, X: Tuple[List[Floats2d], SentenceLayout], is_train: bool
) -> Tuple[ArgsKwargs, Callable]:
    tokvecs, layout = X
    shapes = [t.shape for t in tokvecs]
    # Empty docs can come as (0, 0) arrays: leave them out of the concatenation.
    kept = [model.ops.asarray2f(t) for t in tokvecs if len(t)]
    flat = model.ops.xp.concatenate(kept) if len(kept) > 1 else kept[0]
    flat_t = xp2torch(model.ops.asarray2f(flat), requires_grad=is_train)
    args = (
        flat_t,
        torch.from_numpy(layout.token_sentence).to(flat_t.device),
        torch.from_numpy(layout.sentence_lengths).to(flat_t.device),
        torch.from_numpy(layout.padding_mask).to(flat_t.device),
    )

    def backprop(d_args: ArgsKwargs) -> List[Floats2d]:
        d_flat = torch2xp(d_args.args[0])
        d_tokvecs = []
        offset = 0
        for shape in shapes:
            if shape[0]:
                d_tokvecs.append(d_flat[offset : offset + shape[0]])
                offset += shape[0]
            else:
                d_tokvecs.append(model.ops.alloc2f(*shape))
        return d_tokvecs

    return ArgsKwargs(args=args, kwargs={}), backprop


def _convert_outputs(model: Model, inputs_outputs: Tuple[Any, Any], is_train: bool) -> Tuple[List[Floats1d], Callable]:
    (_, layout), logits_t = inputs_outputs
    logits = torch2xp(logits_t)
    scores = [model.ops.asarray1f(logits[i, :n]) for i, n in enumerate(layout.n_sentences)]

    def backprop(d_scores: List[Floats1d]) -> ArgsKwargs:
        d_logits = model.ops.alloc2f(*logits.shape)
        for i, (n, d) in enumerate(zip(layout.n_sentences, d_scores)):
            d_logits[i, :n] = d
        return ArgsKwargs(args=(logits_t,), kwargs={"grad_tensors": xp2torch(d_logits)})

    return scores, backprop
