"""Shared fixtures: a tiny BERT built once per test session, no download."""
import os
import sys
from pathlib import Path

import pytest

# Tests must never reach a hub, and Ray must not phone home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Project workflows call `spacy-bert` by name: find the one installed beside
# this Python even when the virtual environment is not activated (make test).
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """RETURNS (str): Directory of a 2-layer, 32-wide BERT with its own
    WordPiece vocabulary, usable wherever an encoder is named."""
    from spacy_bert_components.encoder.tiny_bert import build_tiny_bert

    return str(build_tiny_bert(tmp_path_factory.mktemp("tiny_bert")))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """RETURNS (Path): ../shared/data; tests that need it skip without it."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
