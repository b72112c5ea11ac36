"""Token vectors from a learned scalar mix of all the encoder's layers.

A frozen encoder's last layer is a poor feature for token tasks (this
sentence-tuned MiniLM most of all); a softmax-weighted sum of every hidden
state, scaled by a learned gamma (ELMo's scalar mix, as in the BERT paper's
feature-based NER), recovers most of it. Each listener has its own mix, so
every task head weighs the layers its own way.

At prediction time the mix is taken after pooling: pooling by mean (or sum,
first, last) is linear, so mixing the pooled layers gives the same vectors,
and every layer's pooled token vectors are computed once per doc and kept on
its `TransformerData` for the other listeners (four task heads mix the same
seven layers; pooled per token they are smaller than the padded wordpiece
windows). The cache costs one array of the doc's tokens per layer, less than
the hidden states the doc holds already.

Made for a frozen encoder. When the shared transformer is trained anyway,
the encoder gets the gradient of the last layer's share of the mix only (the
upstream transformer takes one gradient, for its last hidden state).
"""

from typing import Callable, List, Optional, Tuple

import numpy
from spacy_transformers.align import apply_alignment
from spacy_transformers.data_classes import TransformerData
from spacy_transformers.layers.trfs2arrays import concat_pooling_forward
from thinc.api import Model
from thinc.types import Floats1d, Floats2d, Floats3d, Ragged
from transformers.file_utils import ModelOutput


def scalar_mix_trfs2arrays(
    pooling: Model[Ragged, Floats2d],
) -> Model[List[TransformerData], List[Floats2d]]:
    """Pool a learned mix of all hidden states into token-aligned arrays.

    pooling (Model[Ragged, Floats2d]): Reduces each token's wordpiece vectors.
    RETURNS (Model[List[TransformerData], List[Floats2d]]): The layer.
    """
    return Model(
        "scalar_mix_trfs2arrays",
        forward,
        layers=[pooling],
        params={"W": None, "gamma": None},
        dims={"nL": None},
    )


def _hidden_states(trf_data: TransformerData) -> Optional[list]:
    output = trf_data.model_output
    if "last_hidden_state" not in output:
        return None  # an empty doc: no spans were encoded
    states = output.get("hidden_states")
    if not states and not trf_data.wordpieces.input_ids.any():
        # TransformerData.zeros: the placeholder a listener gives while the
        # pipeline is being initialized. Zeros mixed are zeros.
        return [output["last_hidden_state"]]
    if not states:
        raise ValueError(
            "A layer-mixing listener needs every hidden state of the encoder: "
            "set `output_hidden_states = true` in the transformer's "
            "[components.transformer.model.transformer_config]."
        )
    return states


# Poolings that commute with a weighted sum of the layers.
LINEAR_POOLINGS = {"reduce_mean", "reduce_sum", "reduce_first", "reduce_last"}
POOLED_CACHE_ATTR = "_spacy_bert_pooled_layers"


def _pooled_layers(model: Model, trf_data: TransformerData, states: list) -> Floats3d:
    """Every hidden state pooled into token vectors, stacked [layers, tokens,
    width]; computed once per doc and pooling, shared by every listener
    that mixes this doc's layers."""
    pooling: Model[Ragged, Floats2d] = model.layers[0]
    cache = trf_data.__dict__.setdefault(POOLED_CACHE_ATTR, {})
    if pooling.name not in cache:
        ops = model.ops
        width = trf_data.width
        if ops.xp is numpy:
            flat = [numpy.asarray(h).reshape(-1, width) for h in states]
            cache[pooling.name] = _pool_gathered(flat, trf_data.align, pooling.name)
        else:
            flat = [ops.reshape2f(ops.asarray(h), -1, width) for h in states]
            cache[pooling.name] = ops.xp.stack(
                [pooling.predict(apply_alignment(ops, trf_data.align, h)[0]) for h in flat]
            )
    return cache[pooling.name]


def _pool_gathered(flat: List[numpy.ndarray], align: Ragged, pooling: str) -> numpy.ndarray:
    """thinc's linear poolings over the token alignment, for all layers at
    once: per layer, one gather of the aligned rows (the padded windows are
    never copied) and, for mean and sum, one scatter-add into the tokens
    (torch's `index_add_`, twice as fast as numpy's `add.at`).

    flat (List[numpy [wordpieces, width]]): Each hidden state, flat.
    align (Ragged): Wordpiece indices per token (spacy-transformers' `align`).
    pooling (str): One of LINEAR_POOLINGS.
    RETURNS (numpy [layers, tokens, width]): Zeros for a token without wordpieces.
    """
    import torch

    lengths = numpy.asarray(align.lengths, dtype="int64")
    indices = numpy.asarray(align.dataXd, dtype="int64").ravel()
    width = flat[0].shape[1]
    pooled = torch.zeros((len(flat), len(lengths), width), dtype=torch.float32)
    if pooling in ("reduce_first", "reduce_last"):
        has = lengths > 0
        ends = numpy.cumsum(lengths)
        picks = (ends - lengths if pooling == "reduce_first" else ends - 1)[has]
        rows = torch.from_numpy(indices[picks])
        tokens = torch.from_numpy(numpy.flatnonzero(has))
        for layer, h in enumerate(flat):
            pooled[layer].index_copy_(0, tokens, torch.from_numpy(h).index_select(0, rows))
        return pooled.numpy()
    rows = torch.from_numpy(indices)
    owners = torch.from_numpy(numpy.repeat(numpy.arange(len(lengths)), lengths))
    for layer, h in enumerate(flat):
        pooled[layer].index_add_(0, owners, torch.from_numpy(h).index_select(0, rows))
    if pooling == "reduce_mean":
        pooled /= torch.from_numpy(numpy.maximum(lengths, 1).astype("float32"))[None, :, None]
    return pooled.numpy()


def _predict_from_pooled(model: Model, trf_datas: List[TransformerData]) -> List[Floats2d]:
    """Prediction: the mix of the (cached) pooled layers of each doc."""
    ops = model.ops
    outputs: List[Floats2d] = []
    weights: Optional[Floats1d] = None
    for trf_data in trf_datas:
        states = _hidden_states(trf_data)
        if states is None or states[0].size == 0:
            outputs.append(ops.alloc2f(0, 0))
            continue
        if len(states) == 1 and not model.has_dim("nL"):
            outputs.append(ops.alloc2f(len(trf_data.align.lengths), trf_data.width))
            continue
        _ensure_params(model, len(states))
        if weights is None:
            weights = ops.softmax(model.get_param("W")) * model.get_param("gamma")[0]
        layers = _pooled_layers(model, trf_data, states)
        # One pass over the stacked layers instead of one per layer.
        n_layers, n_tokens, width = layers.shape
        outputs.append((weights @ layers.reshape(n_layers, -1)).reshape(n_tokens, width))
    return outputs


def start_mix_on(model: Model, n_states: int, state: int, share: float = 0.9) -> None:
    """Give a layer mix that has no weights yet (a mix creates them on its
    first real batch) weights that put `share` of the mix on hidden state
    `state` of `n_states`, the rest spread evenly; gamma 1. The mix still
    learns from there. A mix with weights is left as it is."""
    if model.has_param("W"):
        return
    _ensure_params(model, n_states)
    W = model.ops.alloc1f(n_states)
    # softmax: e^x / (e^x + n_states - 1) = share.
    W[state] = float(numpy.log(share / (1.0 - share) * (n_states - 1)))
    model.set_param("W", W)


def is_layer_mix(model: Model) -> bool:
    """RETURNS (bool): Whether `model` is a `scalar_mix_trfs2arrays` layer."""
    return model.name == "scalar_mix_trfs2arrays"


def _ensure_params(model: Model, n_layers: int) -> None:
    if not model.has_dim("nL"):
        model.set_dim("nL", n_layers)
    if not model.has_param("W"):
        model.set_param("W", model.ops.alloc1f(n_layers))
        model.set_param("gamma", model.ops.asarray1f([1.0]))
    if model.get_dim("nL") != n_layers:
        raise ValueError(
            f"The layer mix was trained on {model.get_dim('nL')} hidden states "
            f"but the encoder gives {n_layers}: the encoder changed."
        )


def forward(model: Model, trf_datas: List[TransformerData], is_train: bool) -> Tuple[List[Floats2d], Callable]:
    pooling: Model[Ragged, Floats2d] = model.layers[0]
    if not is_train and pooling.name in LINEAR_POOLINGS:
        return _predict_from_pooled(model, trf_datas), lambda d_outputs: []
    ops = model.ops
    outputs: List[Optional[Floats2d]] = [None] * len(trf_datas)
    kept: List[Tuple[int, list, Callable]] = []
    aligned: List[Ragged] = []
    probs: Optional[Floats1d] = None
    for i, trf_data in enumerate(trf_datas):
        states = _hidden_states(trf_data)
        if states is None or states[0].size == 0:
            outputs[i] = ops.alloc2f(0, 0)
            continue
        if len(states) == 1 and not model.has_dim("nL"):
            outputs[i] = ops.alloc2f(len(trf_data.align.lengths), trf_data.width)
            continue
        _ensure_params(model, len(states))
        if probs is None:
            W = model.get_param("W")
            probs = ops.softmax(W)
        width = trf_data.width
        flat = [ops.reshape2f(ops.asarray(h), -1, width) for h in states]
        mixed = sum(p * h for p, h in zip(probs, flat)) * model.get_param("gamma")[0]
        dst, get_d_src = apply_alignment(ops, trf_data.align, mixed)
        kept.append((i, flat, get_d_src, trf_data))
        aligned.append(dst)
    if aligned:
        pooled, backprop_pooling = concat_pooling_forward(pooling, aligned, is_train)
    else:  # a batch of empty docs
        pooled, backprop_pooling = [], lambda d_pooled: []
    for (i, _, _, _), array in zip(kept, pooled):
        outputs[i] = array

    def backprop(d_outputs: List[Floats2d]) -> List[TransformerData]:
        d_pooled = backprop_pooling([d_outputs[i] for i, _, _, _ in kept])
        d_trf_datas = [
            TransformerData(
                wordpieces=data.wordpieces,
                model_output=ModelOutput(last_hidden_state=data.model_output["last_hidden_state"] * 0),
                align=data.align,
            )
            for data in trf_datas
        ]
        if kept and probs is not None:
            gamma = model.get_param("gamma")[0]
            d_W = ops.alloc1f(len(probs))
            d_gamma = 0.0
            for (i, flat, get_d_src, data), d_dst in zip(kept, d_pooled):
                d_mixed = get_d_src(d_dst)
                last = data.model_output["last_hidden_state"]
                d_last = ops.reshape(d_mixed * (gamma * probs[-1]), last.shape)
                d_trf_datas[i].model_output["last_hidden_state"] = d_last
                # d/dp_l of gamma * sum_l p_l h_l, then through the softmax.
                d_probs = ops.asarray1f([float((d_mixed * h).sum()) for h in flat])
                d_gamma += float((d_probs * probs).sum())
                d_probs = d_probs * gamma
                d_W += probs * (d_probs - (d_probs * probs).sum())
            model.inc_grad("W", d_W)
            model.inc_grad("gamma", ops.asarray1f([d_gamma]))
        # Ignored by a frozen transformer's listener; a trained one backprops
        # the last layer's share.
        return d_trf_datas

    return outputs, backprop  # type: ignore[return-value]
