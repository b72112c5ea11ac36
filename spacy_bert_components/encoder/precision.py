"""The encoder's inference precision: fp32, bf16, int8, or auto.

bf16 runs a bfloat16 copy of the encoder for prediction; the heads still get
float32 vectors. On a CPU with AMX or AVX-512 BF16 instructions, and on a GPU
with bf16 support, it is several times faster than fp32 with hidden states
at a mean cosine of 0.9999 to fp32's, so the heads trained on fp32 features
need no retraining. Without such instructions bf16 is emulated and slower
than fp32: "auto" picks bf16 only where the hardware has them. Training
(gradients) never uses the bf16 copy.

int8 runs a copy with its linear layers dynamically quantized (int8 weights,
activations quantized per call; torch's `quantize_dynamic`), for CPUs
without native bf16. It is CPU only: on a GPU it falls back to fp32.
"""

import logging
from typing import Any

PRECISIONS = ("fp32", "bf16", "int8", "auto")

logger = logging.getLogger(__name__)


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"Encoder precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    return precision


def native_bf16(device: Any) -> bool:
    """Whether `device` (a torch device) computes bf16 matrix products in
    hardware rather than emulating them."""
    import torch

    if getattr(device, "type", str(device)).startswith("cuda"):
        return bool(torch.cuda.is_bf16_supported())
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def resolve_precision(precision: str, device: Any) -> str:
    """RETURNS (str): "fp32", "bf16" or "int8", what `precision` means on `device`."""
    check_precision(precision)
    if precision == "int8" and getattr(device, "type", str(device)).startswith("cuda"):
        logger.warning("Encoder precision int8 is for CPUs; %s predicts in fp32.", device)
        return "fp32"
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    if precision == "bf16" and not native_bf16(device):
        logger.warning(
            "Encoder precision bf16 on %s, which has no native bf16 instructions: "
            'it is emulated and slower than fp32. Use precision = "auto" or "fp32".',
            device,
        )
    return precision


def quantized_int8(module: Any) -> Any:
    """RETURNS (Any): A copy of the torch `module` with every `nn.Linear`
    dynamically quantized to int8 (weights once, activations per call)."""
    import copy
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch deprecates its quantized tensors in favour of torchao, which
        # is not a dependency here; the eager API still works.
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(module), {torch.nn.Linear}, dtype=torch.qint8)
