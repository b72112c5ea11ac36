"""Thinc wiring of the NER head: spaCy's transition-based model over the
encoder's token vectors, optionally with casing features and a BiLSTM.

The default encoder is uncased: "Paris" and "paris" get the same wordpieces,
and capitalization is most of what tells names from words in CoNLL-2003
news. spaCy's lexical attributes (`SHAPE`, `IS_TITLE`, `IS_UPPER`) give that
back cheaply, embedded and concatenated with the encoder's vectors.
"""
from typing import List, Optional, Sequence

from spacy.ml.featureextractor import FeatureExtractor
from spacy.ml.models.parser import build_tb_parser_model
from spacy.ml.models.tok2vec import MaxoutWindowEncoder
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    Dropout,
    HashEmbed,
    Maxout,
    Model,
    chain,
    concatenate,
    with_array,
)
from thinc.types import Floats2d

from .torch_lstm import PackedBiLSTM

DEFAULT_FEATURE_ATTRS = ("SHAPE", "IS_TITLE", "IS_UPPER", "PREFIX")
DEFAULT_FEATURE_WIDTH = 32
DEFAULT_FEATURE_ROWS = 2000


def build_token_features(
    attrs: Sequence[str], width: int, rows: int
) -> Model[List[Doc], List[Floats2d]]:
    """Embed spaCy lexical attributes of every token (hashed, so any value
    works), one `width`-wide table per attribute, concatenated.

    attrs (Sequence[str]): Token attributes, e.g. "SHAPE", "IS_TITLE".
    width (int): Width of each attribute's embedding.
    rows (int): Rows of each hash table.
    RETURNS (Model[List[Doc], List[Floats2d]]): One row per token.
    """
    embeds = [
        HashEmbed(width, rows, column=i, seed=101 + i, dropout=None)
        for i in range(len(attrs))
    ]
    return chain(FeatureExtractor(list(attrs)), with_array(concatenate(*embeds)))


def concatenate_features(
    *layers: Model[List[Doc], List[Floats2d]],
) -> Model[List[Doc], List[Floats2d]]:
    """Concatenate the token vectors of several doc-level layers, per doc.

    thinc's `concatenate` also sums the layers' input gradients, which fails
    for docs (a listener's backprop returns None); docs need no gradient.
    """
    return Model(
        "concatenate_features", _concatenate_forward, init=_concatenate_init, layers=list(layers)
    )


def _concatenate_init(model: Model, X: Optional[List[Doc]] = None, Y: Optional[object] = None) -> None:
    for layer in model.layers:
        layer.initialize(X=X)


def _concatenate_forward(model: Model, docs: List[Doc], is_train: bool):
    results = [layer(docs, is_train) for layer in model.layers]
    widths = [outputs[0].shape[1] if outputs else 0 for outputs, _ in results]
    xp = model.ops.xp
    merged = [
        xp.hstack([outputs[i] for outputs, _ in results]) for i in range(len(docs))
    ]

    def backprop(d_merged: List[Floats2d]) -> List[Doc]:
        start = 0
        for (_, bp), width in zip(results, widths):
            bp([d[:, start : start + width] for d in d_merged])
            start += width
        return docs

    return merged, backprop


@registry.architectures("spacy-bert-components.NERTok2Vec.v1")
def build_ner_tok2vec_v1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    feature_attrs: Sequence[str] = DEFAULT_FEATURE_ATTRS,
    feature_width: int = DEFAULT_FEATURE_WIDTH,
    feature_rows: int = DEFAULT_FEATURE_ROWS,
    hidden_width: int = 256,
    lstm_depth: int = 1,
    dropout: float = 0.1,
) -> Model[List[Doc], List[Floats2d]]:
    """Encoder vectors + casing features -> Maxout -> BiLSTM.

    tok2vec (Model[List[Doc], List[Floats2d]]): The encoder's token vectors
        (a listener on the shared `transformer`, or an own encoder).
    feature_attrs (Sequence[str]): Lexical attributes to embed; empty for none.
    feature_width (int): Width of each attribute embedding.
    feature_rows (int): Rows of each attribute's hash table.
    hidden_width (int): Width of the Maxout projection and of the BiLSTM
        output (both directions together).
    lstm_depth (int): BiLSTM layers; 0 for none (the parser's own state
        features then see the encoder's context only).
    dropout (float): Dropout after the projection.
    RETURNS (Model[List[Doc], List[Floats2d]]): Token vectors, hidden_width wide.
    """
    inputs = (
        concatenate_features(tok2vec, build_token_features(feature_attrs, feature_width, feature_rows))
        if feature_attrs
        else tok2vec
    )
    # The projection fixes the LSTM's input width, so the encoder's width
    # need not be known when the model is built.
    project = with_array(chain(Maxout(hidden_width, nP=2, normalize=True), Dropout(dropout)))
    layers = [inputs, project]
    if lstm_depth > 0:
        layers.append(PackedBiLSTM(hidden_width, hidden_width, depth=lstm_depth))
    # Empty docs never get here: the parser and the sentiment model skip them.
    model = chain(*layers)
    model.set_dim("nO", hidden_width)
    model.set_ref("encoder", tok2vec)
    return model


@registry.architectures("spacy-bert-components.NERModel.v1")
def build_ner_model_v1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    hidden_width: int = 64,
    maxout_pieces: int = 2,
    use_upper: bool = True,
    extra_state_tokens: bool = False,
    feature_attrs: Sequence[str] = DEFAULT_FEATURE_ATTRS,
    feature_width: int = DEFAULT_FEATURE_WIDTH,
    feature_rows: int = DEFAULT_FEATURE_ROWS,
    context_width: int = 256,
    lstm_depth: int = 1,
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model:
    """spaCy's transition-based NER model (`build_tb_parser_model`, so that
    `EntityRecognizer` drives it unchanged) over `NERTok2Vec.v1` features.

    tok2vec (Model[List[Doc], List[Floats2d]]): The encoder's token vectors.
    hidden_width (int): Width of the parser's state layer.
    maxout_pieces (int): Maxout pieces of the state layer.
    use_upper (bool): An extra hidden layer before the action scores.
    extra_state_tokens (bool): 6 state tokens instead of 3.
    feature_attrs, feature_width, feature_rows, context_width, lstm_depth,
        dropout: See `NERTok2Vec.v1` (context_width is its hidden_width).
    nO (Optional[int]): Number of actions; inferred from the data.
    RETURNS (Model): The parser model.
    """
    features = build_ner_tok2vec_v1(
        tok2vec,
        feature_attrs=feature_attrs,
        feature_width=feature_width,
        feature_rows=feature_rows,
        hidden_width=context_width,
        lstm_depth=lstm_depth,
        dropout=dropout,
    )
    return build_tb_parser_model(
        features,
        state_type="ner",
        extra_state_tokens=extra_state_tokens,
        hidden_width=hidden_width,
        maxout_pieces=maxout_pieces,
        use_upper=use_upper,
        nO=nO,
    )


def build_window_tok2vec(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    width: int,
    window_size: int,
    window_depth: int,
    dropout: float,
    window_pieces: int = 2,
    feature_attrs: Sequence[str] = (),
    feature_width: int = DEFAULT_FEATURE_WIDTH,
    feature_rows: int = DEFAULT_FEATURE_ROWS,
) -> Model[List[Doc], List[Floats2d]]:
    """Encoder vectors (+ casing features) -> Maxout projection -> spaCy's
    `MaxoutWindowEncoder`: the light, parallel counterpart of NERTok2Vec.v1's
    BiLSTM, shared by the v2 NER and sentiment heads."""
    features = build_ner_tok2vec_v1(
        tok2vec,
        feature_attrs=feature_attrs,
        feature_width=feature_width,
        feature_rows=feature_rows,
        hidden_width=width,
        lstm_depth=0,
        dropout=dropout,
    )
    if window_depth <= 0:
        return features
    windows = MaxoutWindowEncoder(width=width, window_size=window_size, maxout_pieces=window_pieces, depth=window_depth)
    model = chain(features, windows)
    model.set_dim("nO", width)
    model.set_ref("encoder", tok2vec)
    return model


@registry.architectures("spacy-bert-components.NERModel.v2")
def build_ner_model_v2(
    tok2vec: Model[List[Doc], List[Floats2d]],
    *,
    hidden_width: int = 64,
    maxout_pieces: int = 2,
    use_upper: bool = True,
    extra_state_tokens: bool = False,
    feature_attrs: Sequence[str] = DEFAULT_FEATURE_ATTRS,
    feature_width: int = 16,
    feature_rows: int = DEFAULT_FEATURE_ROWS,
    context_width: int = 128,
    window_size: int = 1,
    window_depth: int = 1,
    window_pieces: int = 2,
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model:
    """The light NER model: v1 with the BiLSTM replaced by spaCy's
    `MaxoutWindowEncoder` (residual Maxout layers over each token and its
    neighbours). A BiLSTM steps through the document token by token, which
    on CPU cost more than the encoder's share allows; windows run in
    parallel, and the encoder's vectors already carry the sentence context,
    so the head mainly needs the neighbours' casing.

    tok2vec (Model[List[Doc], List[Floats2d]]): The encoder's token vectors.
    hidden_width, maxout_pieces, use_upper, extra_state_tokens, nO: The
        parser's state layer, as in `NERModel.v1`.
    feature_attrs, feature_width, feature_rows: Casing features, as in v1.
    context_width (int): Width of the projection and the window layers.
    window_size (int): Tokens each side every window layer sees.
    window_depth (int): Window layers; 0: projection only.
    window_pieces (int): Maxout pieces of each window layer.
    dropout (float): Dropout after the projection.
    RETURNS (Model): The parser model.
    """
    features = build_window_tok2vec(
        tok2vec,
        feature_attrs=feature_attrs,
        feature_width=feature_width,
        feature_rows=feature_rows,
        width=context_width,
        window_size=window_size,
        window_depth=window_depth,
        window_pieces=window_pieces,
        dropout=dropout,
    )
    return build_tb_parser_model(
        features,
        state_type="ner",
        extra_state_tokens=extra_state_tokens,
        hidden_width=hidden_width,
        maxout_pieces=maxout_pieces,
        use_upper=use_upper,
        nO=nO,
    )
