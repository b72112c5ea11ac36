"""The shared encoder, listeners and the layer mix on the tiny BERT, MPNet
and RoBERTa."""

import pickle

import numpy
import pytest
import spacy
from spacy.training import Example
from thinc.api import registry

from spacy_bert_components.errors import EncoderNotFoundError, MissingUpstreamError
from spacy_bert_components.layers.layer_mix import POOLED_CACHE_ATTR, scalar_mix_trfs2arrays

from ..util import blank_with_encoder, encoder_config, listener_config

TEXTS = ["Angela Merkel visited Paris.", "", "Hi", "The film was wonderful. I loved it!"]


def test_transformer_pipe_runs(tiny_encoder):
    nlp = blank_with_encoder(tiny_encoder)
    nlp.initialize()
    docs = list(nlp.pipe(TEXTS, batch_size=2))
    assert [len(d) for d in docs] == [len(nlp.make_doc(t)) for t in TEXTS]
    assert docs[0]._.trf_data.width == 32


def test_default_encoder_runs_offline():
    nlp = spacy.blank("en")
    nlp.add_pipe("transformer", config={"model": {"@architectures": "spacy-bert-components.Encoder.v1"}})
    nlp.initialize()
    docs = list(nlp.pipe(["Paris is lovely in spring.", "A second, longer text about Berlin."]))
    assert docs[1]._.trf_data.width == 384


def test_unknown_encoder_fails_at_initialize():
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "transformer",
        config={"model": {"@architectures": "spacy-bert-components.Encoder.v1", "name": "nobody/nothing"}},
    )
    with pytest.raises(EncoderNotFoundError):
        nlp.initialize()


def _train_textcat(nlp, n_iter=5):
    examples = [
        Example.from_dict(nlp.make_doc("good great lovely"), {"cats": {"POS": 1.0, "NEG": 0.0}}),
        Example.from_dict(nlp.make_doc("bad awful dull"), {"cats": {"POS": 0.0, "NEG": 1.0}}),
    ]
    optimizer = nlp.initialize(lambda: examples)
    history = []
    for _ in range(n_iter):
        losses = {}
        nlp.update(examples, sgd=optimizer, losses=losses)
        history.append(losses["textcat"])
    return history


@pytest.mark.parametrize("mix_layers", [False, True])
def test_listener_feeds_a_head(tiny_encoder, mix_layers):
    nlp = blank_with_encoder(tiny_encoder, hidden_states=mix_layers)
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatReduce.v1",
                "exclusive_classes": True,
                "use_reduce_first": False,
                "use_reduce_last": False,
                "use_reduce_max": False,
                "use_reduce_mean": True,
                "tok2vec": listener_config(mix_layers=mix_layers),
            }
        },
    )
    history = _train_textcat(nlp, n_iter=8)
    assert history[-1] < history[0]  # the head learns from the listener's vectors
    doc = nlp("good great lovely")
    assert doc.cats["POS"] > doc.cats["NEG"]
    nlp("")  # an empty doc passes the listener


def test_layer_mix_learns_its_weights(tiny_encoder):
    nlp = blank_with_encoder(tiny_encoder, hidden_states=True)
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatReduce.v1",
                "exclusive_classes": True,
                "use_reduce_first": False,
                "use_reduce_last": False,
                "use_reduce_max": False,
                "use_reduce_mean": True,
                "tok2vec": listener_config(mix_layers=True),
            }
        },
    )
    # A frozen encoder: annotating, not updated; only the head and mix learn.
    examples = [
        Example.from_dict(nlp.make_doc("good great lovely"), {"cats": {"POS": 1.0, "NEG": 0.0}}),
        Example.from_dict(nlp.make_doc("bad awful dull"), {"cats": {"POS": 0.0, "NEG": 1.0}}),
    ]
    optimizer = nlp.initialize(lambda: examples)
    trf_before = nlp.get_pipe("transformer").model.to_bytes()
    for _ in range(5):
        nlp.update(examples, sgd=optimizer, exclude=["transformer"], annotates=["transformer"])
    mix = [n for n in nlp.get_pipe("textcat").model.walk() if n.name == "scalar_mix_trfs2arrays"][0]
    assert not numpy.allclose(mix.get_param("W"), 0.0)
    assert nlp.get_pipe("transformer").model.to_bytes() == trf_before


@pytest.mark.parametrize("pooling", ["reduce_mean", "reduce_sum", "reduce_first", "reduce_last"])
def test_layer_mix_prediction_equals_training_path(tiny_encoder, pooling):
    """Prediction mixes the pooled layers (cached per doc); training mixes
    the wordpieces and then pools. Both must give the same vectors."""
    nlp = blank_with_encoder(tiny_encoder, hidden_states=True)
    nlp.initialize()
    # Long words give tokens of several wordpieces; the double space gives a
    # whitespace token aligned to none (thinc's reduce_first/last refuse those).
    space = " " if pooling in ("reduce_first", "reduce_last") else "  "
    texts = ["A first sentence here.", "", f"Another,{space}longer one with unusualwordpieces in it. And more."]
    docs = list(nlp.pipe(texts))
    lengths = list(docs[2]._.trf_data.align.lengths)
    assert max(lengths) > 1 and (0 in lengths) == (space == "  ")
    mix = scalar_mix_trfs2arrays(registry.get("layers", f"{pooling}.v1")())
    trf_datas = [doc._.trf_data for doc in docs]
    trained, _ = mix(trf_datas, is_train=True)  # creates the parameters
    mix.set_param("W", mix.ops.asarray1f(numpy.linspace(-1, 1, mix.get_dim("nL"))))
    trained, _ = mix(trf_datas, is_train=True)
    predicted = mix.predict(trf_datas)
    assert all(hasattr(d, POOLED_CACHE_ATTR) for d in (trf_datas[0], trf_datas[2]))
    for a, b in zip(trained, predicted):
        assert a.shape == b.shape
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert numpy.array_equal(mix.predict(trf_datas)[2], predicted[2])  # from the cache


def test_layer_mix_without_hidden_states_names_the_setting(tiny_encoder):
    nlp = blank_with_encoder(tiny_encoder, hidden_states=False)
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatReduce.v1",
                "exclusive_classes": True,
                "use_reduce_first": False,
                "use_reduce_last": False,
                "use_reduce_max": False,
                "use_reduce_mean": True,
                "tok2vec": listener_config(mix_layers=True),
            }
        },
    )
    with pytest.raises(ValueError, match="output_hidden_states"):
        _train_textcat(nlp, n_iter=1)


def test_listener_without_transformer_says_what_to_add():
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatReduce.v1",
                "exclusive_classes": True,
                "use_reduce_first": False,
                "use_reduce_last": False,
                "use_reduce_max": False,
                "use_reduce_mean": True,
                "tok2vec": listener_config(),
            }
        },
    )
    nlp.get_pipe("textcat").add_label("POS")
    nlp.get_pipe("textcat").add_label("NEG")
    with pytest.raises(MissingUpstreamError, match="add_pipe\\('transformer'"):
        nlp.initialize()
        nlp("some text")


def test_weights_saved_by_reference_are_small_and_checked(tiny_encoder, tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("transformer", config=encoder_config(tiny_encoder, save_weights=False))
    nlp.initialize()
    before = nlp("Paris is lovely.")._.trf_data.model_output.last_hidden_state
    by_ref = nlp.get_pipe("transformer").model.to_bytes()
    nlp_full = spacy.blank("en")
    nlp_full.add_pipe("transformer", config=encoder_config(tiny_encoder))
    nlp_full.initialize()
    assert len(by_ref) < len(nlp_full.get_pipe("transformer").model.to_bytes())
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    after = loaded("Paris is lovely.")._.trf_data.model_output.last_hidden_state
    numpy.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-5)
    again = pickle.loads(pickle.dumps(loaded))
    assert again("Paris is lovely.")._.trf_data.width == 32


def test_weights_by_reference_refuse_other_weights(tiny_bert, tmp_path):
    import shutil

    from spacy_bert_components.encoder.tiny_bert import build_tiny_bert

    encoder_dir = tmp_path / "enc"
    shutil.copytree(tiny_bert, encoder_dir)
    nlp = spacy.blank("en")
    nlp.add_pipe("transformer", config=encoder_config(str(encoder_dir), save_weights=False))
    nlp.initialize()
    nlp.to_disk(tmp_path / "p")
    build_tiny_bert(encoder_dir, seed=1)  # other weights under the same name
    with pytest.raises(EncoderNotFoundError, match="sha256"):
        spacy.load(tmp_path / "p")


def test_frozen_encoder_caches_outputs_only_when_trained(tiny_encoder, tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("transformer", config=encoder_config(tiny_encoder, hidden_states=True, save_weights=False))
    nlp.initialize()
    model = nlp.get_pipe("transformer").model
    cache = model.attrs["output_cache"]
    first = [d._.trf_data for d in nlp.pipe(TEXTS, batch_size=3)]
    assert cache.misses >= 3 and cache.hits == 0
    second = [d._.trf_data for d in nlp.pipe(list(reversed(TEXTS)), batch_size=2)]
    assert cache.hits >= 3
    for a, b in zip(first, reversed(second)):
        if len(a.model_output):
            numpy.testing.assert_allclose(a.model_output.last_hidden_state, b.model_output.last_hidden_state, atol=1e-2)
            assert len(b.model_output.hidden_states) == 3
    nlp.to_disk(tmp_path / "p")
    assert spacy.load(tmp_path / "p").get_pipe("transformer").model.attrs["output_cache"] is None


def test_fine_tuned_encoder_never_caches(tiny_encoder):
    nlp = spacy.blank("en")
    nlp.add_pipe("transformer", config=encoder_config(tiny_encoder))
    nlp.initialize()
    assert nlp.get_pipe("transformer").model.attrs["output_cache"] is None
