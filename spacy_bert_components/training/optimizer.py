"""Adam with the encoder at its own learning rate.

spaCy trains every component with one optimizer, so a fresh task head and a
pretrained encoder share one learning rate: one small enough for the encoder
(~5e-5) leaves the head barely trained after an epoch, one right for the head
(~1e-3) wrecks the encoder. `encoder_lr_scale` multiplies the rate for the
encoder's own weights (the parameters that `EncoderHFShim` updates, adapters
included), so the head trains at `learn_rate` and the encoder at
`learn_rate * encoder_lr_scale`, under the same schedule.

    [training.optimizer]
    @optimizers = "spacy-bert-components.Adam.v1"
    learn_rate = 0.001
    encoder_lr_scale = 0.05
"""

from typing import List, Union

from spacy.util import registry
from thinc.optimizers import Optimizer
from thinc.types import Generator

FloatOrSchedule = Union[float, List[float], Generator]


class EncoderScaledOptimizer(Optimizer):
    """thinc's Optimizer with a rate factor that the encoder's shim reads
    (`EncoderHFShim.finish_update`); every other parameter gets lr_scale 1."""

    encoder_lr_scale: float = 1.0


@registry.optimizers("spacy-bert-components.Adam.v1")
def create_adam_v1(
    learn_rate: FloatOrSchedule = 0.001,
    *,
    encoder_lr_scale: float = 1.0,
    L2: FloatOrSchedule = 0.0,
    beta1: FloatOrSchedule = 0.9,
    beta2: FloatOrSchedule = 0.999,
    eps: FloatOrSchedule = 1e-08,
    grad_clip: FloatOrSchedule = 1.0,
    L2_is_weight_decay: bool = True,
    use_averages: bool = True,
) -> Optimizer:
    """thinc's `Adam.v1` with `encoder_lr_scale`: the factor applied to the
    learning rate of the encoder's weights (1.0: thinc's Adam exactly)."""
    if encoder_lr_scale < 0:
        raise ValueError(f"[training.optimizer] encoder_lr_scale must be >= 0, not {encoder_lr_scale}.")
    optimizer = EncoderScaledOptimizer(
        learn_rate,
        L2=L2,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        grad_clip=grad_clip,
        L2_is_weight_decay=L2_is_weight_decay,
        use_averages=use_averages,
    )
    optimizer.encoder_lr_scale = float(encoder_lr_scale)
    return optimizer
