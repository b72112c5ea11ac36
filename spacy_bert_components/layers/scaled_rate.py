"""A learning-rate factor for some of a shim's parameters: the encoder's
weights (`EncoderHFShim`) and the SRL head's copied encoder layers
(`LayerRateShim`) learn at a fraction of the task heads' rate."""

from typing import Any

from thinc.api import Optimizer


class ScaledRate:
    """An optimizer seen through a learning-rate factor, for the parameters
    whose names start with `prefix` (all of them by default): what a
    PyTorchShim's `finish_update` calls for each parameter, with the key
    (shim id, parameter name).

    optimizer (Optimizer): The optimizer to call.
    lr_scale (float): The factor on the learning rate.
    prefix (str): Only parameters whose names start with it are scaled.
    """

    def __init__(self, optimizer: Optimizer, lr_scale: float, prefix: str = "") -> None:
        self.optimizer = optimizer
        self.lr_scale = lr_scale
        self.prefix = prefix

    def __call__(self, key: Any, weights: Any, gradient: Any, *, lr_scale: float = 1.0) -> Any:
        if str(key[1]).startswith(self.prefix):
            lr_scale *= self.lr_scale
        return self.optimizer(key, weights, gradient, lr_scale=lr_scale)
