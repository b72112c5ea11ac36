"""The encoder's inference precision: fp32, bf16, or auto.

bf16 runs a bfloat16 copy of the encoder for prediction; the heads still get
float32 vectors. On a CPU with AMX or AVX-512 BF16 instructions, and on a GPU
with bf16 support, it is several times faster than fp32 with hidden states
at a mean cosine of 0.9999 to fp32's, so the heads trained on fp32 features
need no retraining. Without such instructions bf16 is emulated and slower
than fp32: "auto" picks bf16 only where the hardware has them. Training
(gradients) never uses the bf16 copy.
"""

import logging
from typing import Any

PRECISIONS = ("fp32", "bf16", "auto")

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
    """RETURNS (str): "fp32" or "bf16", what `precision` means on `device`."""
    check_precision(precision)
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    if precision == "bf16" and not native_bf16(device):
        logger.warning(
            "Encoder precision bf16 on %s, which has no native bf16 instructions: "
            'it is emulated and slower than fp32. Use precision = "auto" or "fp32".',
            device,
        )
    return precision
