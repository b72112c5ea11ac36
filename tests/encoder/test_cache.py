"""The frozen encoder's output cache on disk: read back equal to what was
encoded, shared by a second training run, and never read stale when the
encoder, the windowing or the text changes."""

import shutil

import numpy
import pytest
import spacy
from click.testing import CliRunner

from spacy_bert_components.encoder.cache import cache_folders, cache_root, clear_cache
from spacy_bert_components.encoder.tiny_bert import build_tiny_bert

TEXTS = ["Angela Merkel visited Paris.", "The film was wonderful. I loved it!", "Hi"]


def frozen_pipeline(encoder: str, max_wordpieces: int = 32):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    model = {
        "@architectures": "spacy-bert-components.Encoder.v2",
        "name": encoder,
        "get_spans": {"@span_getters": "spacy-bert-components.sentence_windows.v1", "max_wordpieces": max_wordpieces},
        "transformer_config": {"output_hidden_states": True},
        "save_weights": False,
    }
    nlp.add_pipe("transformer", config={"model": model})
    nlp.initialize()
    return nlp, nlp.get_pipe("transformer").model.attrs["output_cache"]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SPACY_BERT_ENCODER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def encoder(tiny_bert, tmp_path):
    path = tmp_path / "encoder"
    shutil.copytree(tiny_bert, path)
    return str(path)


def outputs(nlp, texts):
    return [doc._.trf_data.model_output for doc in nlp.pipe(texts)]


def test_a_second_run_reads_what_the_first_encoded(cache_dir, encoder):
    nlp, cache = frozen_pipeline(encoder)
    first = outputs(nlp, TEXTS)
    assert (cache.hits, cache.misses) == (0, 3) and len(cache) == 3
    # A new pipeline (another training run, another head) on the same corpus.
    nlp2, cache2 = frozen_pipeline(encoder)
    second = outputs(nlp2, TEXTS)
    assert (cache2.hits, cache2.misses) == (3, 0)
    assert cache2.folder == cache.folder and cache.folder.parent == cache_dir
    for a, b in zip(first, second):
        assert list(a.keys()) == list(b.keys())
        # float16 on disk: equal to its precision.
        numpy.testing.assert_allclose(a.last_hidden_state, b.last_hidden_state, rtol=1e-2, atol=1e-2)
        assert len(a.hidden_states) == len(b.hidden_states) == 3
        for x, y in zip(a.hidden_states, b.hidden_states):
            assert x.shape == y.shape and y.dtype == numpy.float32
            numpy.testing.assert_allclose(x, y, rtol=1e-2, atol=1e-2)


def test_a_changed_encoder_windowing_or_text_is_encoded_not_read_stale(cache_dir, encoder):
    nlp, cache = frozen_pipeline(encoder)
    old = outputs(nlp, TEXTS[:1])[0]
    outputs(nlp, TEXTS)
    # Other windows: another namespace.
    _, cache_windows = frozen_pipeline(encoder, max_wordpieces=16)
    assert cache_windows.folder != cache.folder and len(cache_windows) == 0
    # Another text, or the same text cut into other sentences: misses.
    nlp_same, cache_same = frozen_pipeline(encoder)
    outputs(nlp_same, ["Angela Merkel visited Rome."])
    doc = nlp_same.make_doc(TEXTS[0])
    for token in doc:
        token.is_sent_start = token.i in (0, 2)
    nlp_same.get_pipe("transformer")(doc)
    assert (cache_same.hits, cache_same.misses) == (0, 2)
    # Other weights under the same name and path: another namespace, and
    # outputs of the new weights.
    build_tiny_bert(encoder, seed=1)
    nlp_new, cache_new = frozen_pipeline(encoder)
    assert cache_new.folder != cache.folder
    new = outputs(nlp_new, TEXTS[:1])[0]
    assert cache_new.misses == 1
    assert not numpy.allclose(new.last_hidden_state, old.last_hidden_state, atol=1e-2)
    fresh = spacy.blank("en")
    fresh.add_pipe("sentencizer")
    model = {"@architectures": "spacy-bert-components.Encoder.v1", "name": encoder, "save_weights": True}
    fresh.add_pipe("transformer", config={"model": model})
    fresh.initialize()
    assert fresh.get_pipe("transformer").model.attrs["output_cache"] is None


def test_cache_switched_off_reports_and_clears(cache_dir, encoder, monkeypatch):
    monkeypatch.setenv("SPACY_BERT_ENCODER_CACHE_MB", "0")
    _, cache = frozen_pipeline(encoder)
    assert cache is None and not cache_dir.exists()
    monkeypatch.delenv("SPACY_BERT_ENCODER_CACHE_MB")
    nlp, cache = frozen_pipeline(encoder)
    outputs(nlp, TEXTS)
    assert cache_root() == cache_dir
    [(folder, docs, size)] = cache_folders()
    assert folder == cache.folder and docs == 3 and size >= cache.nbytes > 0
    assert clear_cache() == size and cache_folders() == []


def test_cache_command_reports_and_clears(cache_dir, encoder):
    from spacy_bert_components.cli.main import cli

    nlp, cache = frozen_pipeline(encoder)
    outputs(nlp, TEXTS)
    result = CliRunner().invoke(cli, ["encoder", "cache"])
    assert result.exit_code == 0, result.output
    assert f"{cache.folder}: 3 docs" in result.output and "1 namespace(s)" in result.output
    result = CliRunner().invoke(cli, ["encoder", "cache", "--clear"])
    assert result.exit_code == 0 and "cleared" in result.output and cache_folders() == []
