"""Where spacy-transformers offers no public hook: the two places where this
package builds one of its models with a forward function of its own.

thinc takes a model's forward function in its constructor only, and
spacy-transformers' `TransformerModel` and `TransformerListener` pass their
own. A subclass that needs another forward therefore builds itself the way
the spacy-transformers class does, and gets the parts that class sets up
from the class itself. `tests/test_compat.py` checks that what is built here
matches what spacy-transformers builds, so a version that changes its
constructors fails there first.
"""

from typing import Any, Callable, Optional

from spacy_transformers.layers.hf_shim import HFShim
from spacy_transformers.layers.listener import TransformerListener
from spacy_transformers.layers.transformer_model import TransformerModel
from thinc.api import Model, PyTorchShim
from thinc.layers.pytorchwrapper import forward as pytorch_forward


def init_transformer_model(
    model: TransformerModel,
    *,
    forward: Callable,
    init: Callable,
    shim: HFShim,
    name: str,
    get_spans: Callable,
    tokenizer_config: dict,
    transformer_config: dict,
) -> None:
    """Construct `model`, a `TransformerModel` subclass, as
    `TransformerModel.__init__` does, with its own forward and init functions
    and its own HF shim (spacy-transformers' `HFWrapper` always builds a
    plain `HFShim`). The attributes spacy-transformers sets (listener
    replacement, `set_transformer`, ...) come from a plain `TransformerModel`
    built with the same settings.

    model (TransformerModel): The model to construct, not yet constructed.
    forward (Callable): The model's forward function.
    init (Callable): The model's init function.
    shim (HFShim): The shim of the model's one layer, built on an `HFObjects`
        with the same tokenizer and transformer configs.
    name, get_spans, tokenizer_config, transformer_config: As for `TransformerModel`.
    """
    template = TransformerModel(name, get_spans, tokenizer_config, transformer_config)
    wrapper = template.layers[0]
    own_wrapper = pytorch_wrapper(shim, wrapper.attrs["convert_inputs"], wrapper.attrs["convert_outputs"])
    Model.__init__(
        model,
        template.name,
        forward,
        init=init,
        layers=[own_wrapper],
        dims={dim: None for dim in template.dim_names},
        attrs=dict(template.attrs),
    )


def init_transformer_listener(listener: TransformerListener, upstream_name: str, forward: Callable) -> None:
    """Construct `listener`, a `TransformerListener` subclass, with its own
    forward function: spacy-transformers' constructor sets up the listener's
    state, then thinc's constructor runs again with the other forward (the
    only argument that differs).

    listener (TransformerListener): The listener to construct.
    upstream_name (str): The name of the transformer component it listens to.
    forward (Callable): The listener's forward function.
    """
    TransformerListener.__init__(listener, upstream_name)
    Model.__init__(listener, name=listener.name, forward=forward, dims={"nO": None})


def pytorch_wrapper(
    shim: PyTorchShim,
    convert_inputs: Optional[Callable] = None,
    convert_outputs: Optional[Callable] = None,
) -> Model[Any, Any]:
    """thinc's `PyTorchWrapper_v2` (and spacy-transformers' `HFWrapper`) for
    a shim built by the caller, e.g. a `PyTorchShim` subclass with its own
    `finish_update`: those wrappers always build a plain shim.

    shim (PyTorchShim): The shim, holding the PyTorch module.
    convert_inputs (Optional[Callable]): As for `PyTorchWrapper_v2`.
    convert_outputs (Optional[Callable]): As for `PyTorchWrapper_v2`.
    RETURNS (Model[Any, Any]): The wrapper layer.
    """
    from thinc.layers.pytorchwrapper import convert_pytorch_default_inputs, convert_pytorch_default_outputs

    return Model(
        "pytorch" if not isinstance(shim, HFShim) else "hf-pytorch",
        pytorch_forward,
        attrs={
            "convert_inputs": convert_inputs or convert_pytorch_default_inputs,
            "convert_outputs": convert_outputs or convert_pytorch_default_outputs,
        },
        shims=[shim],
        dims={"nI": None, "nO": None},
    )
