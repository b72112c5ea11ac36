"""Thinc wiring of the NER heads: spaCy's transition-based model (so that
`EntityRecognizer` drives it unchanged) over the encoder's token vectors with
casing features (`layers.token_features`), contextualized by a BiLSTM or by
window layers."""

from typing import List, Optional, Sequence

from spacy.ml.models.parser import build_tb_parser_model
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats2d

from ..layers.token_features import (
    DEFAULT_FEATURE_ATTRS,
    DEFAULT_FEATURE_ROWS,
    DEFAULT_FEATURE_WIDTH,
    build_feature_tok2vec,
    build_window_tok2vec,
)


@registry.architectures("spacy-bert-components.NERBiLSTMModel.v1")
def build_ner_bilstm_model(
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
    `EntityRecognizer` drives it unchanged) over `layers.token_features.build_feature_tok2vec`
    (encoder vectors + casing features -> Maxout -> BiLSTM).

    tok2vec (Model[List[Doc], List[Floats2d]]): The encoder's token vectors.
    hidden_width (int): Width of the parser's state layer.
    maxout_pieces (int): Maxout pieces of the state layer.
    use_upper (bool): An extra hidden layer before the action scores.
    extra_state_tokens (bool): 6 state tokens instead of 3.
    feature_attrs, feature_width, feature_rows, context_width, lstm_depth,
        dropout: See `build_feature_tok2vec` (context_width is its hidden_width).
    nO (Optional[int]): Number of actions; inferred from the data.
    RETURNS (Model): The parser model.
    """
    features = build_feature_tok2vec(
        tok2vec,
        feature_attrs=feature_attrs,
        feature_width=feature_width,
        feature_rows=feature_rows,
        hidden_width=context_width,
        lstm_depth=lstm_depth,
        dropout=dropout,
    )
    return _transition_ner(features, hidden_width, maxout_pieces, use_upper, extra_state_tokens, nO)


@registry.architectures("spacy-bert-components.NERWindowModel.v1")
def build_ner_window_model(
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
    """The light NER model: `NERBiLSTMModel.v1` with the BiLSTM replaced by spaCy's
    `MaxoutWindowEncoder` (residual Maxout layers over each token and its
    neighbours). A BiLSTM steps through the document token by token, which
    on CPU cost more than the encoder's share allows; windows run in
    parallel, and the encoder's vectors already carry the sentence context,
    so the head mainly needs the neighbours' casing.

    tok2vec (Model[List[Doc], List[Floats2d]]): The encoder's token vectors.
    hidden_width, maxout_pieces, use_upper, extra_state_tokens, nO: The
        parser's state layer, as in `NERBiLSTMModel.v1`.
    feature_attrs, feature_width, feature_rows: Casing features, as there.
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
    return _transition_ner(features, hidden_width, maxout_pieces, use_upper, extra_state_tokens, nO)


def _transition_ner(
    features: Model[List[Doc], List[Floats2d]],
    hidden_width: int,
    maxout_pieces: int,
    use_upper: bool,
    extra_state_tokens: bool,
    nO: Optional[int],
) -> Model:
    """spaCy's transition-based NER model over `features`, so that
    `EntityRecognizer` drives it unchanged."""
    return build_tb_parser_model(
        features,
        state_type="ner",
        extra_state_tokens=extra_state_tokens,
        hidden_width=hidden_width,
        maxout_pieces=maxout_pieces,
        use_upper=use_upper,
        nO=nO,
    )


# Alias names of the same heads: pipelines and configs that use them load.
registry.architectures.register("spacy-bert-components.NERModel.v1", func=build_ner_bilstm_model)
registry.architectures.register("spacy-bert-components.NERModel.v2", func=build_ner_window_model)
