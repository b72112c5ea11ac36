"""A `TransformerListener` that fails clearly when nothing feeds it."""
from typing import List

from spacy.tokens import Doc
from spacy_transformers.layers.listener import TransformerListener
from spacy_transformers.layers.listener import forward as listener_forward

from ..errors import MissingUpstreamError


class CheckedTransformerListener(TransformerListener):
    """Listener that raises `MissingUpstreamError` instead of quietly returning
    zeros (or a dimension error) when no `transformer` component ran first.

    It stays a `TransformerListener`, so the shared `transformer` finds it and
    `nlp.replace_listeners` swaps it for an own copy of the encoder.
    """

    def __init__(self, upstream_name: str) -> None:
        super().__init__(upstream_name)
        self._func = _checked_forward  # type: ignore[assignment]


def _checked_forward(model: CheckedTransformerListener, docs: List[Doc], is_train: bool):
    # The shared transformer gives its listeners their width when it is
    # initialized (`Transformer.find_listeners`); a listener without one has
    # no upstream, and spacy-transformers would fail with a bare dimension
    # error (prediction) or E203 (training).
    fed_by_upstream = is_train and model._batch_id is not None
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
