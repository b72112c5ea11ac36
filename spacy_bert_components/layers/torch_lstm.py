"""A bidirectional LSTM over padded batches that ignores the padding.

thinc's `PyTorchLSTM` runs `torch.nn.LSTM` over the padded batch as is, so
the backward direction of every sequence shorter than the longest starts on
padding: the output then depends on what else is in the batch (`nlp.pipe`
with batch size 1 and 8 disagree). Packing the sequences fixes that. The
thinc structure and the torch module are exactly `PyTorchLSTM`'s, so saved
weights load either way; only the conversion differs.
"""

from typing import Callable, Tuple, cast

import numpy
from thinc.api import ArgsKwargs, Model, PyTorchRNNWrapper, torch2xp, with_padded, xp2torch
from thinc.shims import PyTorchShim
from thinc.types import Floats3d, Padded


def PackedBiLSTM(nO: int, nI: int, *, depth: int = 1) -> Model[Padded, Padded]:
    """A `depth`-layer bidirectional LSTM, `nO` wide (both directions)."""
    import torch.nn

    rnn = PyTorchRNNWrapper(
        torch.nn.LSTM(nI, nO // 2, depth, bidirectional=True),
        convert_inputs=_packed_inputs,
        convert_outputs=_padded_outputs,
    )
    rnn.set_dim("nO", nO)
    rnn.set_dim("nI", nI)
    return with_padded(rnn)


def _packed_inputs(model: Model, Xp: Padded, is_train: bool) -> Tuple[ArgsKwargs, Callable]:
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    shim = cast(PyTorchShim, model.shims[0])
    n_steps = Xp.data.shape[0]
    data = Xp.data
    if n_steps == 0:  # only empty sequences: one step of padding to run on
        data = model.ops.alloc3f(1, data.shape[1], data.shape[2])
    X = xp2torch(data, requires_grad=is_train, device=shim.device)
    # torch refuses empty sequences; their one step of padding is cut off.
    lengths = torch.as_tensor(numpy.maximum(numpy.asarray(Xp.lengths, dtype="int64"), 1))
    packed = pack_padded_sequence(X, lengths, enforce_sorted=False)
    if is_train:
        # The shim reads `.grad` of every input tensor; a non-leaf one warns.
        packed.data.retain_grad()

    def backward(_: ArgsKwargs) -> Padded:
        # The packed data is not a leaf: read the gradient of the padded input.
        dX = X.grad if X.grad is not None else torch.zeros_like(X)
        dX = dX[:n_steps]
        return Padded(cast(Floats3d, torch2xp(dX)), Xp.size_at_t, Xp.lengths, Xp.indices)

    return ArgsKwargs(args=(packed,), kwargs={}), backward


def _padded_outputs(model: Model, inputs_outputs: Tuple, is_train: bool) -> Tuple[Padded, Callable]:
    from torch.nn.utils.rnn import pad_packed_sequence

    shim = cast(PyTorchShim, model.shims[0])
    Xp, (Ypacked, _) = inputs_outputs
    n_steps = Xp.data.shape[0]
    Ytorch, _ = pad_packed_sequence(Ypacked, total_length=max(n_steps, 1))
    Ytorch = Ytorch[:n_steps]

    def backward(dYp: Padded) -> ArgsKwargs:
        dYtorch = xp2torch(dYp.data, device=shim.device)
        return ArgsKwargs(args=(Ytorch,), kwargs={"grad_tensors": dYtorch})

    return Padded(cast(Floats3d, torch2xp(Ytorch)), Xp.size_at_t, Xp.lengths, Xp.indices), backward
