"""The encoder a head's token vectors come from, for a head that needs more
of it than its vectors (the SRL head that copies the encoder's top layers)."""

from typing import Any, Optional

from spacy.language import Language
from spacy_transformers import Transformer
from spacy_transformers.layers.listener import TransformerListener
from spacy_transformers.layers.transformer_model import TransformerModel
from thinc.api import Model


def find_encoder(tok2vec: Model, nlp: Optional[Language]) -> Any:
    """The initialized encoder that `tok2vec` reads: its own, or the one of
    the transformer component its listener listens to.

    tok2vec (Model): A head's token-vector layer.
    nlp (Optional[Language]): The pipeline (needed for a listener).
    RETURNS (Any): The encoder's torch module (e.g. a Hugging Face `BertModel`).
    """
    for node in tok2vec.walk():
        if isinstance(node, TransformerModel):
            return _initialized(node, "the component's own encoder")
        if isinstance(node, TransformerListener):
            # All components: a frozen transformer is disabled while the
            # others are initialized.
            pipes = nlp.components if nlp is not None else []
            for name, pipe in pipes:
                if isinstance(pipe, Transformer) and any(node is listener for listener in pipe.listeners):
                    return _initialized(pipe.model, f"the transformer component {name!r}")
            raise ValueError(
                "A head needs the encoder its listener listens to (upstream "
                f"{node.upstream_name!r}), but no transformer component in the "
                "pipeline feeds it: initialize it through nlp.initialize() in a "
                "pipeline with a transformer component before it."
            )
    raise ValueError("A head needs its encoder, but its tok2vec holds neither an encoder nor a listener.")


def _initialized(model: TransformerModel, what: str) -> Any:
    if model.transformer is None:
        raise ValueError(
            f"A head needs the weights of {what}, which is not initialized. "
            "If it is in [training] frozen_components, add "
            '[initialize.before_init] @callbacks = "spacy-bert-components.init_frozen_encoder.v1".'
        )
    return model.transformer
