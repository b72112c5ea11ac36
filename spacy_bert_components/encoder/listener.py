"""A `TransformerListener` that fails clearly when nothing feeds it."""

from typing import Any, Callable, List

from spacy.tokens import Doc
from spacy_transformers.layers.listener import TransformerListener
from spacy_transformers.layers.listener import forward as listener_forward

from .._compat import init_transformer_listener
from ..errors import MissingUpstreamError


class CheckedTransformerListener(TransformerListener):
    """Listener that raises `MissingUpstreamError` instead of quietly returning
    zeros (or a dimension error) when no `transformer` component ran first.

    It stays a `TransformerListener`, so the shared `transformer` finds it and
    `nlp.replace_listeners` swaps it for an own copy of the encoder.
    """

    def __init__(self, upstream_name: str) -> None:
        init_transformer_listener(self, upstream_name, _checked_forward)
        # Whether the upstream transformer has handed over a batch that is
        # not yet backpropagated: set by `receive`, the transformer's call.
        self.holds_batch = False

    def receive(self, batch_id: int, outputs: Any, backprop: Callable) -> None:
        """Take the upstream transformer's output for a batch (called by the
        transformer component during its update)."""
        super().receive(batch_id, outputs, backprop)
        self.holds_batch = True

    def backprop_and_clear(self, *args: Any, **kwargs: Any) -> Any:
        """Backpropagate the batch received and forget it."""
        self.holds_batch = False
        return super().backprop_and_clear(*args, **kwargs)


def _checked_forward(model: CheckedTransformerListener, docs: List[Doc], is_train: bool):
    # The shared transformer gives its listeners their width when it is
    # initialized (`Transformer.find_listeners`); a listener without one has
    # no upstream, and spacy-transformers would fail with a bare dimension
    # error (prediction) or E203 (training).
    fed_by_upstream = is_train and model.holds_batch
    if not fed_by_upstream and not model.has_dim("nO"):
        raise MissingUpstreamError(
            "A component listens for a shared transformer "
            f"(upstream {model.upstream_name!r}), but the pipeline has no "
            "transformer component before it. Add one first, e.g. "
            "`nlp.add_pipe('transformer', first=True, config={'model': "
            "{'@architectures': 'spacy-bert-components.Encoder.v1'}})`, or give "
            "the component its own encoder with "
            "`spacy-bert-components.Tok2VecEncoder.v1`."
        )
    return listener_forward(model, docs, is_train)
