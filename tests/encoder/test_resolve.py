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


def test_import_and_resolution_leave_the_environment_alone(tiny_bert):
    """The package never flips process-wide switches (HF_HUB_OFFLINE and the
    like) for the user's other code: importing it and resolving names only
    reads the environment."""
    import subprocess
    import sys

    code = (
        "import os, json; before = dict(os.environ); "
        "import spacy_bert_components, spacy_bert_components.encoder.resolve as r; "
        f"r.resolve_encoder('default'); r.resolve_encoder({str(tiny_bert)!r}); "
        "import spacy_bert_components.encoder.architectures; "
        "print(json.dumps(sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
