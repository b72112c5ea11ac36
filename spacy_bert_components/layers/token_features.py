"""Token vectors for the heads: the encoder's vectors, optionally with
embedded casing features, projected and contextualized (a BiLSTM or spaCy's
window layers).

The default encoder is uncased: "Paris" and "paris" get the same wordpieces,
and capitalization is most of what tells names from words in CoNLL-2003
news. spaCy's lexical attributes (`SHAPE`, `IS_TITLE`, `IS_UPPER`) give that
back cheaply, embedded and concatenated with the encoder's vectors.
"""

from typing import List, Optional, Sequence

from spacy.ml.featureextractor import FeatureExtractor
from spacy.ml.models.tok2vec import MaxoutWindowEncoder
from spacy.tokens import Doc
from thinc.api import Dropout, HashEmbed, Maxout, Model, chain, concatenate, with_array
from thinc.types import Floats2d

from .torch_lstm import PackedBiLSTM

DEFAULT_FEATURE_ATTRS = ("SHAPE", "IS_TITLE", "IS_UPPER", "PREFIX")
DEFAULT_FEATURE_WIDTH = 32
DEFAULT_FEATURE_ROWS = 2000


def build_token_features(attrs: Sequence[str], width: int, rows: int) -> Model[List[Doc], List[Floats2d]]:
    """Embed spaCy lexical attributes of every token (hashed, so any value
    works), one `width`-wide table per attribute, concatenated.

    attrs (Sequence[str]): Token attributes, e.g. "SHAPE", "IS_TITLE".
    width (int): Width of each attribute's embedding.
    rows (int): Rows of each hash table.
    RETURNS (Model[List[Doc], List[Floats2d]]): One row per token.
    """
    embeds = [HashEmbed(width, rows, column=i, seed=101 + i, dropout=None) for i in range(len(attrs))]
    return chain(FeatureExtractor(list(attrs)), with_array(concatenate(*embeds)))


def concatenate_features(
    *layers: Model[List[Doc], List[Floats2d]],
) -> Model[List[Doc], List[Floats2d]]:
    """Concatenate the token vectors of several doc-level layers, per doc.

    thinc's `concatenate` also sums the layers' input gradients, which fails
    for docs (a listener's backprop returns None); docs need no gradient.
    """
    return Model("concatenate_features", _concatenate_forward, init=_concatenate_init, layers=list(layers))


def _concatenate_init(model: Model, X: Optional[List[Doc]] = None, Y: Optional[object] = None) -> None:
    for layer in model.layers:
        layer.initialize(X=X)


def _concatenate_forward(model: Model, docs: List[Doc], is_train: bool):
    results = [layer(docs, is_train) for layer in model.layers]
    widths = [outputs[0].shape[1] if outputs else 0 for outputs, _ in results]
    xp = model.ops.xp
    merged = [xp.hstack([outputs[i] for outputs, _ in results]) for i in range(len(docs))]

    def backprop(d_merged: List[Floats2d]) -> List[Doc]:
        start = 0
        for (_, bp), width in zip(results, widths):
            bp([d[:, start : start + width] for d in d_merged])
            start += width
        return docs

    return merged, backprop


def build_feature_tok2vec(
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
    `MaxoutWindowEncoder`: the light, parallel counterpart of
    `build_feature_tok2vec`'s BiLSTM, shared by the window heads of NER and
    sentiment."""
    features = build_feature_tok2vec(
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
