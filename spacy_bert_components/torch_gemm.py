"""The task heads' dense layers on torch's CPU matrix product.

thinc's `NumpyOps.gemm` calls BLIS, which on this project's CPUs measured
3x slower than torch's (MKL / oneDNN) for the heads' shapes (5,370 x 448 by
448 x 256 on one thread: 17 vs 46 GMAC/s). The heads' Maxout and Linear
layers are most of what they cost on top of the encoder, so each component
moves its own model's layers onto `TorchGemmOps`: NumpyOps with `gemm` done
by `torch.mm` (zero-copy on the same memory, same results to float
rounding, and torch's thread setting applies, which the batch runner sets
per worker). Other models in the process keep thinc's default ops, and GPU
ops are never replaced.
"""

import numpy
import torch
from thinc.api import Model, NumpyOps


class TorchGemmOps(NumpyOps):
    """NumpyOps with float32 matrix products on torch."""

    def gemm(self, x, y, out=None, trans1=False, trans2=False):
        if (
            x.dtype == numpy.float32
            and y.dtype == numpy.float32
            and x.ndim == 2
            and y.ndim == 2
            and x.flags.writeable
            and y.flags.writeable
            and (out is None or (out.dtype == numpy.float32 and out.flags.c_contiguous))
        ):
            try:
                a = torch.from_numpy(x)
                b = torch.from_numpy(y)
            except ValueError:  # e.g. negative strides: not viewable by torch
                return super().gemm(x, y, out=out, trans1=trans1, trans2=trans2)
            a = a.t() if trans1 else a
            b = b.t() if trans2 else b
            if out is None:
                return torch.mm(a, b).numpy()
            torch.mm(a, b, out=torch.from_numpy(out))
            return out
        return super().gemm(x, y, out=out, trans1=trans1, trans2=trans2)


TORCH_GEMM_OPS = TorchGemmOps()


def use_torch_gemm(model: Model) -> Model:
    """Put every node of `model` that runs on thinc's plain CPU ops onto
    `TorchGemmOps`; nodes on other ops (GPU, or ops a user chose) keep theirs.

    model (Model): A component's model.
    RETURNS (Model): The same model.
    """
    for node in model.walk():
        if type(node.ops) is NumpyOps:
            node.ops = TORCH_GEMM_OPS
    return model
