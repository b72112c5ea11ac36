"""Helpers for tests: pipelines on the tiny BERT."""

from typing import Optional

import spacy
from spacy.language import Language


def encoder_config(tiny_bert: str, *, hidden_states: bool = False, save_weights: bool = True) -> dict:
    """Config for a shared `transformer` component on the tiny BERT."""
    return {
        "model": {
            "@architectures": "spacy-bert-components.Encoder.v1",
            "name": tiny_bert,
            "transformer_config": {"output_hidden_states": hidden_states},
            "save_weights": save_weights,
        }
    }


def listener_config(*, mix_layers: bool = False, upstream: str = "*") -> dict:
    return {"@architectures": "spacy-bert-components.Listener.v1", "upstream": upstream, "mix_layers": mix_layers}


def blank_with_encoder(
    tiny_bert: str, *, hidden_states: bool = False, sentencizer: bool = True, lang: Optional[str] = "en"
) -> Language:
    """A blank pipeline with a sentencizer and a shared tiny `transformer`."""
    nlp = spacy.blank(lang or "en")
    if sentencizer:
        nlp.add_pipe("sentencizer")
    nlp.add_pipe("transformer", config=encoder_config(tiny_bert, hidden_states=hidden_states))
    return nlp
