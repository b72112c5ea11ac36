"""Array helpers the components share for their numpy-side scoring."""

from typing import Any

import numpy


def to_numpy(array: Any) -> numpy.ndarray:
    """RETURNS (numpy.ndarray): `array` on the host (cupy arrays are copied)."""
    if hasattr(array, "get"):  # cupy
        return array.get()
    return numpy.asarray(array)


def sigmoid(x: Any) -> numpy.ndarray:
    """RETURNS (numpy.ndarray): The logistic function of `x`, in float32.
    Clipped, so that large logits give 0 or 1 without overflow warnings."""
    x = numpy.asarray(x, dtype="float32")
    return 1.0 / (1.0 + numpy.exp(-numpy.clip(x, -30.0, 30.0)))
