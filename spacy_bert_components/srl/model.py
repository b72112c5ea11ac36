"""Thinc wiring of the SRL model: token vectors (one encoder pass per doc)
-> linear projection -> the PyTorch head, run per sentence.

Input: `(docs, predicates)` where `predicates` is None (prediction: the head
finds them) or, per doc, the token indices of the gold predicates (training:
the role tagger is taught on gold predicates). Output: `SRLScores`.
"""

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy
import torch
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import ArgsKwargs, Linear, Model, PyTorchWrapper_v2, noop, torch2xp, xp2torch
from thinc.types import Floats2d

from .._compat import pytorch_wrapper
from ..layers.layer_mix import is_layer_mix, start_mix_on
from ..layers.sentences import sentence_bounds
from .conv_head import SRLConvHead
from .pytorch_srl_model import SRLHead
from .top_layers_head import LayerRateShim, SRLTopLayersHead

# The PyTorch head each architecture builds, by `head_settings["kind"]`.
HEAD_CLASSES = {"lstm": SRLHead, "conv": SRLConvHead, "top_layers": SRLTopLayersHead}

SRLInput = Tuple[List[Doc], Optional[List[List[int]]]]


@dataclass
class SRLScores:
    """Scores of a batch.

    sents (List[Tuple[int, int, int]]): (doc index, start, end) per sentence row.
    predicate (numpy [B, L]): Predicate logits per sentence token.
    roles (numpy [P, L, n_tags + 1]): BIO role scores, last column the head score.
    senses (numpy [P, n_senses]): Roleset logits (training; [P, 0] in
        prediction, where the component scores candidate rolesets only).
    pred_sent, pred_pos (numpy [P]): Predicates labelled (sentence row, position).
    sense_features (numpy [P, F]): The roleset classifier's input.
    sense_weight, sense_bias (numpy [n_senses, F], [n_senses]): The roleset
        classifier, so that prediction scores only each predicate's candidates.
    """

    sents: List[Tuple[int, int, int]]
    predicate: Any
    roles: Any
    senses: Any
    pred_sent: Any
    pred_pos: Any
    sense_features: Any = None
    sense_weight: Any = None
    sense_bias: Any = None


@registry.architectures("spacy-bert-components.SRLBiLSTMModel.v1")
def build_srl_bilstm_model(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_size: int = 256,
    lstm_depth: int = 1,
    position_size: int = 16,
    max_distance: int = 32,
    dropout: float = 0.1,
) -> Model[SRLInput, SRLScores]:
    """The semantic role labelling model.

    tok2vec (Model[List[Doc], List[Floats2d]]): Token vectors: a listener on the
        shared transformer, or an encoder of its own.
    hidden_size (int): Width of the projection, the BiLSTM and the MLPs.
    lstm_depth (int): BiLSTM layers of the per-predicate tagger.
    position_size (int): Width of the predicate indicator and distance embeddings.
    max_distance (int): Relative positions are clipped to +-max_distance.
    dropout (float): Dropout inside the head.
    RETURNS (Model[SRLInput, SRLScores]): The model. Its PyTorch head is built
        by `build_srl_head(model, n_tags, n_senses)` once labels are known.
    """
    model = _srl_model(tok2vec, Linear(nO=hidden_size))
    model.attrs["head_settings"] = dict(
        hidden=hidden_size,
        lstm_depth=lstm_depth,
        position_size=position_size,
        max_distance=max_distance,
        dropout=dropout,
    )
    return model


@registry.architectures("spacy-bert-components.SRLConvModel.v1")
def build_srl_conv_model(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_size: int = 96,
    conv_depth: int = 2,
    conv_window: int = 1,
    max_distance: int = 32,
    between_width: int = 32,
    dropout: float = 0.1,
) -> Model[SRLInput, SRLScores]:
    """The light semantic role labelling model: `SRLBiLSTMModel.v1`'s inputs,
    outputs and training, with the per-predicate BiLSTM replaced by a
    factorized input layer and residual convolutions (`conv_head.py`),
    several times faster on CPU. The convolutions see a few tokens around
    each token; what lies between each token and its predicate comes in as
    the sum of a narrow learned token feature over the tokens between them
    (from prefix sums), at the cost of two gathers.

    tok2vec (Model[List[Doc], List[Floats2d]]): Token vectors: a listener on the
        shared transformer, or an encoder of its own.
    hidden_size (int): Width of the projection, the convolutions and the MLPs.
    conv_depth (int): Residual convolutions over each predicate's tokens.
    conv_window (int): Taps each side of a convolution; layer i is dilated
        by 2**i, so 2 layers of window 1 see 3 tokens each side.
    max_distance (int): Offsets from the predicate are clipped to +-max_distance.
    between_width (int): Width of the between feature; 0: none.
    dropout (float): Dropout inside the head.
    RETURNS (Model[SRLInput, SRLScores]): The model.
    """
    model = build_srl_bilstm_model(tok2vec, hidden_size=hidden_size, dropout=dropout)
    model.attrs["head_settings"] = dict(
        kind="conv",
        hidden=hidden_size,
        conv_depth=conv_depth,
        conv_window=conv_window,
        max_distance=max_distance,
        between_width=between_width,
        dropout=dropout,
    )
    return model


@registry.architectures("spacy-bert-components.SRLTopLayersModel.v1")
def build_srl_top_layers_model(
    tok2vec: Model[List[Doc], List[Floats2d]],
    encoder: str = "default",
    top_layers: int = 2,
    layers_lr_scale: float = 0.1,
    max_distance: int = 32,
    dropout: float = 0.1,
) -> Model[SRLInput, SRLScores]:
    """The predicate-aware semantic role labelling model: a trainable copy of
    the encoder's top layers runs over each predicate's sentence with the
    predicate marked (`top_layers_head.py`). Several times the light head's
    cost per predicate; the strongest head on a frozen shared encoder.

    The copied layers come from the encoder that `tok2vec` reads (the
    pipeline's shared transformer, found when the component is initialized;
    see `copy_encoder_layers`); their configuration is saved in the
    component's cfg, so a saved pipeline builds its head without it.

    tok2vec (Model[List[Doc], List[Floats2d]]): A layer-mixing listener on the
        shared (frozen) transformer; its mix starts on the hidden state the
        copied layers read.
    encoder (str): Not read: the layers are the shared transformer's. Kept
        so that configs which name the encoder here load.
    top_layers (int): How many of the encoder's last layers run per predicate.
    layers_lr_scale (float): The copied layers' learning rate, as a share of
        the head's.
    max_distance (int): Offsets from the predicate are clipped to +-max_distance.
    dropout (float): Dropout inside the head (the layers keep the encoder's).
    RETURNS (Model[SRLInput, SRLScores]): The model.
    """
    # No projection: the layers read the encoder's own width.
    model = _srl_model(tok2vec, noop())
    model.attrs["head_settings"] = dict(
        kind="top_layers",
        top_layers=top_layers,
        layers_lr_scale=layers_lr_scale,
        max_distance=max_distance,
        dropout=dropout,
    )
    return model


def copies_encoder_layers(model: Model) -> bool:
    """RETURNS (bool): Whether the SRL model's head copies encoder layers
    (`SRLTopLayersModel.v1`): it needs the encoder's configuration to be
    built and the encoder's weights to start from."""
    return model.attrs["head_settings"].get("kind") == "top_layers"


def _srl_model(tok2vec: Model[List[Doc], List[Floats2d]], proj: Model) -> Model[SRLInput, SRLScores]:
    """RETURNS: The thinc model every SRL architecture builds: token vectors,
    `proj`, and a placeholder for the PyTorch head (`build_srl_head`)."""
    return Model(
        "srl_model",
        forward,
        init=init,
        layers=[tok2vec, proj, noop()],
        refs={"tok2vec": tok2vec, "proj": proj},
        attrs={"threshold": 0.0, "head_sizes": None},
    )


def build_srl_head(model: Model, n_tags: int, n_senses: int, encoder_config: Optional[Dict[str, Any]] = None) -> None:
    """Build (or rebuild) the PyTorch head of an SRL model for the given
    numbers of BIO tags and rolesets. Called when labels are known: in
    `initialize`, and before weights are loaded.

    model (Model): The SRL model.
    n_tags (int): BIO tags.
    n_senses (int): Rolesets.
    encoder_config (Optional[Dict[str, Any]]): The shared encoder's Hugging
        Face configuration; needed by the head that copies encoder layers.
    """
    if list(model.attrs["head_sizes"] or []) == [n_tags, n_senses]:
        return
    settings = dict(model.attrs["head_settings"])
    hidden = settings.pop("hidden", None)  # the top-layers head takes the encoder's
    head_class = HEAD_CLASSES[settings.pop("kind", "lstm")]
    if head_class is SRLTopLayersHead:
        if encoder_config is None:
            raise ValueError(
                "The bert_srl head SRLTopLayersModel.v1 copies the shared "
                "encoder's layers and needs its configuration, which the "
                "component keeps in its cfg (`encoder_config`) from "
                "nlp.initialize() on: initialize (or train) the pipeline again."
            )
        # Its own shim: the copied layers learn at their own rate.
        shim = LayerRateShim(head_class(hidden, n_tags, n_senses, encoder_config=encoder_config, **settings))
        head = pytorch_wrapper(shim, convert_inputs=_convert_inputs, convert_outputs=_convert_outputs)
    else:
        head = PyTorchWrapper_v2(
            head_class(hidden, n_tags, n_senses, **settings),
            convert_inputs=_convert_inputs,
            convert_outputs=_convert_outputs,
        )
    model.replace_node(model.layers[2], head)
    model.attrs["head_sizes"] = [n_tags, n_senses]


def init(model: Model, X: Optional[SRLInput] = None, Y: Any = None) -> None:
    tok2vec = model.get_ref("tok2vec")
    proj = model.get_ref("proj")
    if X is None:
        tok2vec.initialize()
        return
    docs = X[0]
    tok2vec.initialize(X=docs)
    vectors = [v for v in tok2vec.predict(docs) if v.shape[0] and v.shape[1]]
    if vectors:
        proj.initialize(X=model.ops.xp.concatenate(vectors))


def copy_encoder_layers(model: Model, encoder: Any) -> None:
    """Start an initialized `SRLTopLayersModel.v1` from the encoder: its
    copied layers from the encoder's last layers, and a layer-mixing
    `tok2vec` mostly on the hidden state those layers read in the encoder
    (the embeddings, then each layer's output), so that they start on the
    input they were trained on.

    model (Model): The SRL model, its head built (`build_srl_head`).
    encoder (Any): The shared encoder's torch module (a `BertModel`).
    """
    head = _require_head(model).shims[0].head
    head.copy_encoder_layers(encoder)
    mix = model.get_ref("tok2vec").layers[-1]
    if is_layer_mix(mix):
        n_states = head.n_encoder_layers + 1
        start_mix_on(mix, n_states, n_states - 1 - len(head.layers))


def _require_head(model: Model) -> Model:
    if model.attrs["head_sizes"] is None:
        raise ValueError(
            "The bert_srl model is not initialized: call nlp.initialize() (or "
            "train it) before using it, or load a trained pipeline."
        )
    return model.layers[2]


def forward(model: Model, inputs: SRLInput, is_train: bool) -> Tuple[SRLScores, Callable]:
    docs, gold_predicates = inputs
    head = _require_head(model)
    tok2vec = model.get_ref("tok2vec")
    proj = model.get_ref("proj")
    ops = model.ops
    xp = ops.xp
    kept = [i for i, doc in enumerate(docs) if len(doc)]
    sents: List[Tuple[int, int, int]] = [(i, s, e) for i in kept for s, e in sentence_bounds(docs[i])]
    if not sents:
        # Nothing to encode (spacy-transformers' pooling fails on a batch of
        # empty docs, so the encoder is not even asked).
        empty = SRLScores(
            sents,
            numpy.zeros((0, 0), "f"),
            numpy.zeros((0, 0, 0), "f"),
            numpy.zeros((0, 0), "f"),
            numpy.zeros((0,), "i"),
            numpy.zeros((0,), "i"),
        )
        return empty, lambda d_scores: []
    vectors, backprop_tok2vec = tok2vec(docs, is_train)
    flat_in = xp.concatenate([vectors[i] for i in kept])
    flat, backprop_proj = proj(flat_in, is_train)
    hidden_size = flat.shape[1]
    starts = numpy.cumsum([0] + [len(docs[i]) for i in kept])
    doc_offset = {i: int(starts[k]) for k, i in enumerate(kept)}
    lengths = numpy.asarray([e - s for _, s, e in sents], dtype="int64")
    L = int(lengths.max())
    rows = numpy.full((len(sents), L), -1, dtype="int64")
    for b, (i, s, e) in enumerate(sents):
        rows[b, : e - s] = numpy.arange(doc_offset[i] + s, doc_offset[i] + e)
    valid = rows >= 0
    padded = ops.alloc3f(len(sents), L, hidden_size)
    padded[valid] = flat[rows[valid]]
    pred_sent = pred_pos = None
    if gold_predicates is not None:
        ps, pp = [], []
        for b, (i, s, e) in enumerate(sents):
            for t in gold_predicates[i]:
                if s <= t < e:
                    ps.append(b)
                    pp.append(t - s)
        pred_sent = numpy.asarray(ps, dtype="int64")
        pred_pos = numpy.asarray(pp, dtype="int64")
    outputs, backprop_head = head((padded, lengths, pred_sent, pred_pos, model.attrs["threshold"]), is_train)
    scores = SRLScores(sents, *outputs)

    def backprop(d_scores: Tuple[Any, Any, Any]) -> Any:
        d_padded = backprop_head(d_scores)
        d_flat = ops.alloc2f(flat.shape[0], flat.shape[1])
        d_flat[rows[valid]] = d_padded[valid]
        d_flat_in = backprop_proj(d_flat)
        d_vectors = [ops.alloc2f(*v.shape) for v in vectors]
        for k, i in enumerate(kept):
            d_vectors[i] = d_flat_in[starts[k] : starts[k + 1]]
        return backprop_tok2vec(d_vectors)

    return scores, backprop


def _convert_inputs(model: Model, inputs: Sequence[Any], is_train: bool):
    padded, lengths, pred_sent, pred_pos, threshold = inputs
    X = xp2torch(padded, requires_grad=is_train)

    def as_long(a: Any) -> Any:
        return None if a is None else torch.as_tensor(numpy.asarray(a), dtype=torch.long)

    args = ArgsKwargs(args=(X, as_long(lengths), as_long(pred_sent), as_long(pred_pos), float(threshold)), kwargs={})

    def reverse(d_args: ArgsKwargs):
        grad = d_args.args[0]
        return torch2xp(grad) if grad is not None else model.ops.alloc3f(*padded.shape)

    return args, reverse


def _convert_outputs(model: Model, X_Ytorch: Any, is_train: bool):
    _, outputs = X_Ytorch
    pred, roles, senses, pred_sent, pred_pos, features, sense_weight, sense_bias = outputs
    # Gradients flow back through the first three only; the roleset
    # classifier's parameters come detached from the head.
    Y = tuple(
        torch2xp(t) for t in (pred, roles, senses, pred_sent, pred_pos, features.detach(), sense_weight, sense_bias)
    )

    def reverse(dY: Sequence[Any]) -> ArgsKwargs:
        tensors, grads = [], []
        for tensor, d in zip((pred, roles, senses), dY):
            if d is not None and tensor.requires_grad and tensor.numel():
                tensors.append(tensor)
                grads.append(xp2torch(model.ops.asarray(d, dtype="f")))
        return ArgsKwargs(args=(tuple(tensors),), kwargs={"grad_tensors": tuple(grads)})

    return Y, reverse


# Alias names of the same heads: pipelines and configs that use them load.
registry.architectures.register("spacy-bert-components.SRLModel.v1", func=build_srl_bilstm_model)
registry.architectures.register("spacy-bert-components.SRLModel.v3", func=build_srl_conv_model)
