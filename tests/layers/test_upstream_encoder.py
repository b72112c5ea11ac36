import pytest
import spacy
from spacy.util import registry

from spacy_bert_components.layers.upstream_encoder import find_encoder

from ..util import blank_with_encoder, listener_config


def test_find_encoder_of_an_own_encoder(tiny_bert):
    tok2vec = registry.resolve({"m": {"@architectures": "spacy-bert-components.Tok2VecEncoder.v1", "name": tiny_bert}})[
        "m"
    ]
    with pytest.raises(ValueError, match="not initialized"):
        find_encoder(tok2vec, None)
    nlp = spacy.blank("en")
    tok2vec.initialize(X=[nlp.make_doc("a b")])
    assert find_encoder(tok2vec, None).config.hidden_size == 32


def test_find_encoder_of_a_listener(tiny_bert):
    nlp = blank_with_encoder(tiny_bert)
    sentiment = nlp.add_pipe("bert_sentiment", name="sentiment", config={"model": {"tok2vec": listener_config()}})
    for label in ("negative", "positive"):
        sentiment.add_label(label)
    nlp.initialize()
    tok2vec = sentiment.model
    assert find_encoder(tok2vec, nlp) is nlp.get_pipe("transformer").model.transformer
    with pytest.raises(ValueError, match="no transformer component"):
        find_encoder(tok2vec, spacy.blank("en"))


def test_srl_top_layers_head_needs_the_encoder_config():
    """A top-layers head cannot be built without the encoder's configuration
    (kept in the component's cfg from initialize on); the error names it."""
    from spacy_bert_components.srl.model import build_srl_head

    model = registry.resolve(
        {
            "m": {
                "@architectures": "spacy-bert-components.SRLTopLayersModel.v1",
                "tok2vec": listener_config(mix_layers=True),
            }
        }
    )["m"]
    with pytest.raises(ValueError, match="encoder_config"):
        build_srl_head(model, 3, 1)


def test_find_encoder_of_a_listener_on_a_disabled_transformer(tiny_bert):
    """`spacy train` disables frozen components while it initializes the others."""
    nlp = blank_with_encoder(tiny_bert)
    sentiment = nlp.add_pipe("bert_sentiment", name="sentiment", config={"model": {"tok2vec": listener_config()}})
    for label in ("negative", "positive"):
        sentiment.add_label(label)
    nlp.initialize()
    with nlp.select_pipes(disable=["transformer"]):
        assert find_encoder(sentiment.model, nlp) is nlp.get_pipe("transformer").model.transformer
