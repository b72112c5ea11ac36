"""Thinc wiring of the sentiment head: token vectors -> one pooled vector
per sentence -> class probabilities per sentence -> their length-weighted
mean per document.

Scoring sentences and combining them is what lets a document of any length
be scored: the encoder only ever sees windows, and no vector has to stand
for a text longer than one sentence.
"""

from typing import Callable, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    Dropout,
    Maxout,
    Model,
    Softmax,
    chain,
    concatenate,
    reduce_max,
    reduce_mean,
)
from thinc.types import Floats2d, Ints1d, Ragged

from ..layers.sentences import sentence_bounds
from ..layers.token_features import build_feature_tok2vec, build_window_tok2vec

# (doc probabilities, sentence probabilities as a Ragged over docs)
SentimentScores = Tuple[Floats2d, Ragged]


def sentence_lengths(doc: Doc) -> List[int]:
    """RETURNS (List[int]): The token count of each sentence; the whole doc is
    one sentence when nothing set sentence boundaries."""
    return [end - start for start, end in sentence_bounds(doc)]


@registry.architectures("spacy-bert-components.SentimentPoolingModel.v1")
def build_sentiment_pooling_model(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    pooling: str = "mean_max",
    hidden_width: int = 0,
    context_width: int = 256,
    lstm_depth: int = 0,
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model[List[Doc], SentimentScores]:
    """Per-sentence classifier combined per document.

    tok2vec (Model[List[Doc], List[Floats2d]]): The encoder's token vectors.
    pooling (str): "mean", "max" or "mean_max" (both concatenated).
    hidden_width (int): A Maxout layer of this width before the output; 0: none.
    context_width (int): Width of the BiLSTM over the tokens (with lstm_depth).
    lstm_depth (int): BiLSTM layers over the token vectors before pooling;
        0: pool the encoder's vectors directly.
    dropout (float): Dropout before the output layer(s).
    nO (Optional[int]): Number of labels; inferred from the data.
    RETURNS (Model[List[Doc], Tuple[Floats2d, Ragged]]): Document
        probabilities (one row per doc) and sentence probabilities.
    """
    poolers = {"mean": reduce_mean, "max": reduce_max}
    if pooling == "mean_max":
        pool: Model[Ragged, Floats2d] = concatenate(reduce_mean(), reduce_max())
    elif pooling in poolers:
        pool = poolers[pooling]()
    else:
        raise ValueError(f"pooling = {pooling!r} is not one of 'mean', 'max', 'mean_max'.")
    if lstm_depth > 0:
        tok2vec = build_feature_tok2vec(
            tok2vec, feature_attrs=[], hidden_width=context_width, lstm_depth=lstm_depth, dropout=dropout
        )
    layers: List[Model] = [Dropout(dropout)]
    if hidden_width:
        layers += [Maxout(hidden_width, nP=2, normalize=True), Dropout(dropout)]
    # thinc's Softmax backpropagates its gradient as the logits' one, so the
    # component's `scores - truth` is the cross-entropy gradient.
    layers.append(Softmax(nO))
    output = chain(*layers)
    model: Model[List[Doc], SentimentScores] = Model(
        "sentence_sentiment",
        forward,
        init=init,
        layers=[tok2vec, pool, output],
        refs={"tok2vec": tok2vec, "pooling": pool, "output_layer": output},
        dims={"nO": nO},
    )
    return model


@registry.architectures("spacy-bert-components.SentimentWindowModel.v1")
def build_sentiment_window_model(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    pooling: str = "mean_max",
    hidden_width: int = 128,
    context_width: int = 64,
    window_size: int = 1,
    window_depth: int = 2,
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model[List[Doc], SentimentScores]:
    """The light sentiment model: `SentimentPoolingModel.v1` with the BiLSTM
    replaced by a narrow projection and spaCy's `MaxoutWindowEncoder` (as in
    `NERWindowModel.v1`), so
    that short phrases ("not good") are composed before pooling, at a
    fraction of the BiLSTM's cost on CPU.

    tok2vec (Model[List[Doc], List[Floats2d]]): The encoder's token vectors.
    pooling (str): "mean", "max" or "mean_max".
    hidden_width (int): A Maxout layer of this width before the output; 0: none.
    context_width (int): Width of the projection and the window layers.
    window_size (int): Tokens each side every window layer sees.
    window_depth (int): Window layers; 0: the projection only.
    dropout (float): Dropout after the projection and before the output.
    nO (Optional[int]): Number of labels; inferred from the data.
    RETURNS (Model[List[Doc], Tuple[Floats2d, Ragged]]): As
        `SentimentPoolingModel.v1`.
    """
    windows = build_window_tok2vec(
        tok2vec, width=context_width, window_size=window_size, window_depth=window_depth, dropout=dropout
    )
    return build_sentiment_pooling_model(
        windows, pooling=pooling, hidden_width=hidden_width, lstm_depth=0, dropout=dropout, nO=nO
    )


def _sentences(model: Model, docs: List[Doc], tokvecs: List[Floats2d]) -> Tuple[Ragged, Ints1d, Floats2d]:
    """Token vectors regrouped by sentence, each sentence's doc, its weight."""
    ops = model.ops
    lengths, owners, weights = [], [], []
    for i, doc in enumerate(docs):
        sents = sentence_lengths(doc)
        lengths.extend(sents)
        owners.extend([i] * len(sents))
        weights.extend(n / len(doc) for n in sents)
    width = tokvecs[0].shape[1] if tokvecs else 0
    kept = [t for t in tokvecs if len(t)]
    data = ops.xp.concatenate(kept) if kept else ops.alloc2f(0, width)
    ragged = Ragged(data, ops.asarray1i(lengths))
    return ragged, ops.asarray1i(owners), ops.asarray2f(weights).reshape((-1, 1))


def forward(model: Model, docs: List[Doc], is_train: bool) -> Tuple[SentimentScores, Callable]:
    tok2vec, pool, output = model.layers
    ops = model.ops
    n_labels = model.get_dim("nO")
    # Empty docs have no sentence; the encoder never sees them.
    kept = [doc for doc in docs if len(doc)]
    tokvecs, bp_tokvecs = tok2vec(kept, is_train) if kept else ([], None)
    sents, owners, weights = _sentences(model, docs, tokvecs)
    if len(sents.lengths):
        pooled, bp_pool = pool(sents, is_train)
        sent_probs, bp_output = output(pooled, is_train)
    else:  # only empty docs
        sent_probs = ops.alloc2f(0, n_labels)
        bp_pool = bp_output = None
    # An empty doc has no sentence: uniform probabilities, sentiment 0.
    doc_probs = ops.alloc2f(len(docs), n_labels) + 1.0 / n_labels
    if len(owners):
        doc_probs[ops.xp.unique(owners)] = 0.0
        ops.xp.add.at(doc_probs, owners, sent_probs * weights)
    n_sents = [int((owners == i).sum()) for i in range(len(docs))]
    scores = (doc_probs, Ragged(sent_probs, ops.asarray1i(n_sents)))

    def backprop(d_doc_probs: Floats2d) -> List[Doc]:
        if bp_output is None or bp_pool is None or bp_tokvecs is None:
            return []
        d_sent = d_doc_probs[owners] * weights
        d_tokens = bp_pool(bp_output(d_sent)).data
        d_tokvecs, start = [], 0
        for t in tokvecs:
            d_tokvecs.append(d_tokens[start : start + len(t)])
            start += len(t)
        return bp_tokvecs(d_tokvecs)

    return scores, backprop


def init(model: Model, X: Optional[List[Doc]] = None, Y: Optional[Floats2d] = None) -> None:
    tok2vec, pool, output = model.layers
    if Y is not None and not model.has_dim("nO"):
        model.set_dim("nO", Y.shape[1])
    if model.has_dim("nO"):
        output.layers[-1].set_dim("nO", model.get_dim("nO"))
    tok2vec.initialize(X=X)
    if X is not None and any(len(doc) for doc in X):
        docs = [doc for doc in X if len(doc)]
        sents, _, _ = _sentences(model, docs, tok2vec.predict(docs))
        pooled = pool.predict(sents)
        output.initialize(X=pooled)
    else:
        output.initialize()


# Alias names of the same heads: pipelines and configs that use them load.
registry.architectures.register("spacy-bert-components.SentimentModel.v1", func=build_sentiment_pooling_model)
registry.architectures.register("spacy-bert-components.SentimentModel.v2", func=build_sentiment_window_model)
