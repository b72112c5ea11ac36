import os
import time
from pathlib import Path

import pytest

from spacy_bert_components.encoder.resolve import (
    default_encoder_path,
    resolve_encoder,
    weights_sha256,
)
from spacy_bert_components.errors import EncoderNotFoundError


def test_default_encoder_resolves_to_package():
    path = resolve_encoder("default")
    assert path == default_encoder_path()
    assert (path / "config.json").exists()
    assert resolve_encoder("sentence-transformers/all-MiniLM-L6-v2") == path


def test_local_directory_resolves(tiny_bert):
    assert resolve_encoder(tiny_bert) == Path(tiny_bert).resolve()
    assert len(weights_sha256(Path(tiny_bert))) == 64


def test_directory_without_config_is_refused(tmp_path):
    with pytest.raises(EncoderNotFoundError, match="config.json"):
        resolve_encoder(str(tmp_path))


def test_unknown_hub_name_fails_fast_with_fix():
    start = time.monotonic()
    with pytest.raises(EncoderNotFoundError, match="never downloads"):
        resolve_encoder("some-org/not-a-cached-model")
    assert time.monotonic() - start < 5


def test_offline_switches_set_on_import():
    import spacy_bert_components  # noqa: F401

    assert os.environ["HF_HUB_OFFLINE"] == "1"
