"""The encoder model: spacy-transformers' `TransformerModel`, with names
resolved offline, a prediction pass of its own (windows sorted by length,
`predict.py`; fp32 or a bf16 copy, `precision.py`) and, optionally, weights
saved by reference.

With `save_weights = false` a saved pipeline stores the encoder's name and the
sha256 of its weights file instead of the weights (plus low-rank adapter
weights, if the encoder is adapted): loading reads them from the installed
encoder package and refuses when the hash differs. That keeps a pipeline on a
frozen or adapted packaged encoder small (the heads and adapters only).
"""

import contextlib
import copy
import functools
from io import BytesIO
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import srsly
from spacy.tokens import Doc
from spacy_transformers.data_classes import FullTransformerBatch, HFObjects, TransformerData
from spacy_transformers.layers.hf_shim import HFShim
from spacy_transformers.layers.transformer_model import TransformerModel
from spacy_transformers.layers.transformer_model import forward as trf_forward
from spacy_transformers.layers.transformer_model import init as trf_init
from spacy_transformers.span_getters import configure_strided_spans
from thinc.api import Model, Optimizer

from .._compat import init_transformer_model
from ..errors import EncoderNotFoundError
from ..layers.scaled_rate import ScaledRate
from .cache import EncoderOutputCache, open_output_cache, split_cached
from .lora import LoRALinear, add_lora, lora_state_dict, merged_state_dict
from .precision import check_precision, quantized_int8, resolve_precision
from .predict import bind_span_tokenizer, predict_sorted
from .resolve import resolve_encoder, weights_sha256

# spacy-transformers' defaults for BERT-sized windows: 128 wordpiece-ish
# tokens with 32 of overlap, so long documents are encoded window by window.
DEFAULT_WINDOW = 128
DEFAULT_STRIDE = 96


def default_get_spans() -> Callable:
    return configure_strided_spans(DEFAULT_WINDOW, DEFAULT_STRIDE)


class BertEncoderModel(TransformerModel):
    """`TransformerModel` that resolves its name offline when initialized."""

    def __init__(
        self,
        name: str,
        get_spans: Callable,
        tokenizer_config: dict = {},
        transformer_config: dict = {},
        mixed_precision: bool = False,
        grad_scaler_config: dict = {},
        save_weights: bool = True,
        lora: Optional[Dict[str, Any]] = None,
        precision: str = "fp32",
    ) -> None:
        shim = EncoderHFShim(
            HFObjects(None, None, None, dict(tokenizer_config), dict(transformer_config)),
            encoder_name=name,
            save_weights=save_weights,
            precision=precision,
            mixed_precision=mixed_precision,
            grad_scaler_config=dict(grad_scaler_config),
        )
        init_transformer_model(
            self,
            forward=_caching_forward,
            init=_resolving_init,
            shim=shim,
            name=name,
            get_spans=get_spans,
            tokenizer_config=dict(tokenizer_config),
            transformer_config=dict(transformer_config),
        )
        self.attrs["encoder_name"] = name
        self.attrs["save_weights"] = save_weights
        self.attrs["lora"] = dict(lora) if lora else None
        self.attrs["output_cache"] = None
        self.attrs["mixed_precision"] = mixed_precision
        # spacy-transformers' init asks for windows right after it loads the
        # tokenizer: a span getter that counts wordpieces needs it by then.
        # (A partial of module-level functions: pipelines are pickled.)
        self.attrs["set_transformer"] = functools.partial(_set_transformer_and_bind, self.attrs["set_transformer"])


def _set_transformer_and_bind(set_transformer: Callable, model: Model, hf_model: Any) -> None:
    set_transformer(model, hf_model)
    bind_span_tokenizer(model)


def _resolving_init(model: BertEncoderModel, X: Optional[List[Doc]] = None, Y=None):
    if model.attrs["has_transformer"]:
        return model
    model.attrs["name"] = str(resolve_encoder(model.attrs["encoder_name"]))
    # Initialized here, so being trained; weights by reference, so frozen:
    # the one case where caching outputs is both safe and worth it.
    lora = model.attrs["lora"]
    trf_init(model, X=X, Y=Y)
    if lora:
        add_lora(model.transformer, lora["rank"], lora["alpha"], lora["targets"])
    elif not model.attrs["save_weights"]:
        sha256 = weights_sha256(Path(model.attrs["name"]))
        model.attrs["output_cache"] = open_output_cache(
            model, weights_sha256=sha256, precision=encoder_precision(model)
        )
    return model


def inference_transformer(model: BertEncoderModel) -> Any:
    """RETURNS (Any): The torch module that encodes for prediction: the
    encoder itself, or its bf16 copy (see `precision.py`)."""
    return model.layers[0].shims[0].inference_model()


def encoder_precision(model: BertEncoderModel) -> str:
    """RETURNS (str): The precision the encoder predicts at ("fp32", "bf16"
    or "int8"), "auto" resolved for its device."""
    shim = model.layers[0].shims[0]
    return resolve_precision(shim.precision, next(model.transformer.parameters()).device)


def _caching_forward(model: BertEncoderModel, docs: List[Doc], is_train: bool):
    if not model.attrs["has_transformer"]:
        raise ValueError(
            f"The encoder {model.attrs['encoder_name']!r} was never initialized. "
            "If it is in [training] frozen_components, spaCy skips it while "
            "initializing: add\n\n[initialize.before_init]\n@callbacks = "
            '"spacy-bert-components.init_frozen_encoder.v1"\n\nto the config.'
        )
    bind_span_tokenizer(model)
    if is_train:
        return trf_forward(model, docs, is_train)
    cache: Optional[EncoderOutputCache] = model.attrs.get("output_cache")
    if cache is None or not docs:
        return _predict(model, docs), _no_backprop
    keys, found, missing = split_cached(cache, docs)
    for i in [i for i in missing if not len(docs[i])]:
        found[i] = TransformerData.empty()  # nothing to encode (cf. Transformer.predict)
    missing = [i for i in missing if len(docs[i])]
    if missing:
        encoded = _predict(model, [docs[i] for i in missing])
        for i, data in zip(missing, encoded.doc_data):
            cache.put(keys[i], data)
            found[i] = data
    batch = FullTransformerBatch.empty(len(docs))
    batch.cached_doc_data = found  # what set_annotations and listeners read
    return batch, _no_backprop


def _predict(model: BertEncoderModel, docs: List[Doc]) -> FullTransformerBatch:
    transformer = inference_transformer(model)
    was_training = transformer.training
    transformer.eval()  # no dropout; PyTorchShim.predict does the same
    try:
        with _autocast(model):
            return predict_sorted(model, docs, transformer)
    finally:
        transformer.train(was_training)


def _autocast(model: BertEncoderModel) -> Any:
    import torch

    if model.attrs.get("mixed_precision") and torch.cuda.is_available():
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def _no_backprop(d_output):
    raise ValueError("The encoder output cache is for prediction only.")


class EncoderHFShim(HFShim):
    """HFShim that can save packaged weights by reference and adapters alone.

    save_weights=True: a plain state dict, low-rank adapters (if any) folded
    into the weights, so the saved encoder is an ordinary BERT.
    save_weights=False: the encoder's name, the sha256 of its weights file and
    the adapter weights; loading reads the rest from the installed encoder.
    """

    def __init__(
        self,
        hf_model: HFObjects,
        *,
        encoder_name: str,
        save_weights: bool,
        precision: str,
        mixed_precision: bool = False,
        grad_scaler_config: dict = {},
    ) -> None:
        """hf_model (HFObjects): The (not yet loaded) tokenizer and transformer.
        encoder_name (str): The encoder's name, as the config gives it.
        save_weights (bool): False saves a reference instead of the weights.
        precision (str): Of the prediction pass ("fp32", "bf16" or "auto");
            on the shim, not in the model's attrs: attrs are saved with the
            weights, and a loaded pipeline's precision is what its config
            says now.
        mixed_precision (bool): Half-precision ops on GPU.
        grad_scaler_config (dict): Gradient scaling for mixed precision.
        """
        super().__init__(hf_model, mixed_precision=mixed_precision, grad_scaler_config=dict(grad_scaler_config))
        self.encoder_name = encoder_name
        self.save_weights = save_weights
        self.precision = check_precision(precision)
        # (precision, module) for prediction; dropped whenever the weights
        # change (an update, loading, moving to another device).
        self._inference: Optional[tuple] = None

    def inference_model(self) -> Any:
        """RETURNS (Any): The torch module for prediction at `self.precision`."""
        if self._inference is None or self._inference[0] != self.precision:
            device = next(self._model.parameters()).device
            module = self._model
            resolved = resolve_precision(self.precision, device)
            if resolved == "bf16":
                import torch

                module = copy.deepcopy(self._model).to(torch.bfloat16)
            elif resolved == "int8":
                module = quantized_int8(self._model)
            self._inference = (self.precision, module)
        return self._inference[1]

    def to_device(self, device_type: str, device_id: int) -> None:  # pragma: no cover
        self._inference = None
        super().to_device(device_type, device_id)

    def finish_update(self, optimizer: Optimizer) -> None:
        """PyTorchShim.finish_update, with the optimizer's `encoder_lr_scale`
        (see `training/optimizer.py`; `layers/scaled_rate.py`) as the learning-rate factor of every
        encoder weight; 1.0 for a plain thinc optimizer."""
        self._inference = None
        lr_scale = float(getattr(optimizer, "encoder_lr_scale", 1.0))
        super().finish_update(ScaledRate(optimizer, lr_scale) if lr_scale != 1.0 else optimizer)

    def _lora_modules(self) -> List[LoRALinear]:
        return [m for m in self._model.modules() if isinstance(m, LoRALinear)] if self._model is not None else []

    def to_bytes(self) -> bytes:
        msg = srsly.msgpack_loads(super().to_bytes())
        if self._hfmodel.transformer is None:
            return srsly.msgpack_dumps(msg)
        adapters = self._lora_modules()
        if self.save_weights:
            if adapters:
                msg["state"] = _torch_bytes(merged_state_dict(self._model))
            return srsly.msgpack_dumps(msg)
        model_dir = resolve_encoder(self.encoder_name)
        msg["state"] = b""
        ref: Dict[str, Any] = {"name": self.encoder_name, "sha256": weights_sha256(model_dir)}
        if adapters:
            ref["lora"] = {
                "rank": adapters[0].lora_A.shape[0],
                "alpha": adapters[0].scaling * adapters[0].lora_A.shape[0],
                "modules": [n for n, m in self._model.named_modules() if isinstance(m, LoRALinear)],
                "state": _torch_bytes(lora_state_dict(self._model)),
            }
        msg["packaged_encoder"] = ref
        return srsly.msgpack_dumps(msg)

    def from_bytes(self, bytes_data: bytes) -> "EncoderHFShim":
        self._inference = None
        msg = srsly.msgpack_loads(bytes_data)
        ref: Optional[Dict[str, Any]] = msg.pop("packaged_encoder", None)
        if ref is not None:
            model_dir = resolve_encoder(ref["name"])
            found = weights_sha256(model_dir)
            if found != ref["sha256"]:
                raise EncoderNotFoundError(
                    f"This pipeline was trained on encoder {ref['name']!r} with "
                    f"weights sha256 {ref['sha256']}, but the installed weights "
                    f"in {model_dir} hash to {found}. Install the encoder "
                    "version the pipeline was trained with."
                )
            msg["state"] = _state_bytes(str(model_dir))
            self.encoder_name = ref["name"]
            self.save_weights = False
        super().from_bytes(srsly.msgpack_dumps(msg))
        lora = ref.get("lora") if ref is not None else None
        if lora:
            import torch

            add_lora(self._model, lora["rank"], lora["alpha"], lora["modules"])
            state = torch.load(BytesIO(lora["state"]), map_location="cpu")
            self._model.load_state_dict(state, strict=False)
        return self


def _torch_bytes(state: Dict[str, Any]) -> bytes:
    import torch

    filelike = BytesIO()
    torch.save(state, filelike)
    return filelike.getvalue()


def _state_bytes(model_dir: str) -> bytes:
    from transformers import AutoModel

    return _torch_bytes(AutoModel.from_pretrained(model_dir).state_dict())


def build_encoder_model(
    name: str,
    get_spans: Optional[Callable],
    tokenizer_config: dict,
    transformer_config: dict,
    mixed_precision: bool,
    grad_scaler_config: dict,
    save_weights: bool,
    lora: Optional[Dict[str, Any]] = None,
    precision: str = "fp32",
) -> Model[List[Doc], FullTransformerBatch]:
    return BertEncoderModel(
        name,
        get_spans if get_spans is not None else default_get_spans(),
        tokenizer_config,
        transformer_config,
        mixed_precision,
        grad_scaler_config,
        save_weights,
        lora,
        precision,
    )
