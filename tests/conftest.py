"""Shared fixtures, built once per test session, no download: a tiny BERT,
a small local copy of every data set, and the full data where present."""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Tests must never reach a hub, and Ray must not phone home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Frozen encoders trained by the tests cache their outputs here, never in the
# user's cache (projects run as subprocesses inherit it). Each process makes
# its own: an xdist worker imports this file again and replaces the folder
# it inherited from the controller, so two workers never share a cache.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ["SPACY_BERT_ENCODER_CACHE_DIR"] = tempfile.mkdtemp(prefix=f"spacy-bert-encoder-outputs-{_WORKER}-")
atexit.register(shutil.rmtree, os.environ["SPACY_BERT_ENCODER_CACHE_DIR"], True)
# Commands run by name (`spacy-bert` in a subprocess): find the one installed
# beside this Python even when the virtual environment is not activated.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    """Under xdist, the modules that hold a slow test go first (in their own
    order, so module fixtures are set up once): the scheduler hands tests out
    in collection order, and a project workflow that starts last would run
    alone on one core at the end. Serial runs keep pytest's order."""
    if not hasattr(config, "workerinput"):
        return
    slow_modules = {getattr(item, "module", None) for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow_modules)


def real_data_root() -> Path:
    """RETURNS (Path): The full public data sets: SPACY_BERT_DATA (a local
    copy, as the projects read it) or ../shared/data beside the clone."""
    value = os.environ.get("SPACY_BERT_DATA")
    return Path(value).resolve() if value else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """RETURNS (str): Directory of a 2-layer, 32-wide BERT with its own
    WordPiece vocabulary, usable wherever an encoder is named."""
    from spacy_bert_components.encoder.tiny_bert import build_tiny_bert

    return str(build_tiny_bert(tmp_path_factory.mktemp("tiny_bert")))


# The architectures the encoder, listener, window and pre-training tests run
# on: WordPiece with [CLS]/[SEP] (BERT), WordPiece with <s>/</s> and no
# token_type_ids (MPNet, as all-mpnet-base-v2), byte-level BPE (RoBERTa).
TINY_ARCHITECTURES = ("bert", "mpnet", "roberta")


@pytest.fixture(scope="session")
def tiny_mpnet(tmp_path_factory) -> str:
    """RETURNS (str): Directory of a 2-layer, 32-wide MPNet with a WordPiece
    vocabulary and all-mpnet-base-v2's special tokens."""
    from spacy_bert_components.encoder.tiny_encoders import build_tiny_mpnet

    return str(build_tiny_mpnet(tmp_path_factory.mktemp("tiny_mpnet")))


@pytest.fixture(scope="session")
def tiny_roberta(tmp_path_factory) -> str:
    """RETURNS (str): Directory of a 2-layer, 32-wide RoBERTa with a
    byte-level BPE vocabulary."""
    from spacy_bert_components.encoder.tiny_encoders import build_tiny_roberta

    return str(build_tiny_roberta(tmp_path_factory.mktemp("tiny_roberta")))


@pytest.fixture(scope="session", params=TINY_ARCHITECTURES)
def tiny_encoder(request) -> str:
    """RETURNS (str): The tiny BERT, MPNet or RoBERTa directory: a test that
    takes it runs once per architecture."""
    return request.getfixturevalue(f"tiny_{request.param}")


@pytest.fixture(scope="session")
def local_data(tmp_path_factory) -> Path:
    """RETURNS (Path): A small local copy of every data set, written by the
    tests in each data set's format and laid out as the real one
    (ner/conll2003, sentiment/sst2, srl/propbank_ewt, srl/up_english_ewt,
    summarization/scitldr_a, summarization/bbc_news)."""
    from .local_data import write_local_copy

    return write_local_copy(tmp_path_factory.mktemp("local_data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """RETURNS (Path): The full public data sets, for the checks that need
    all of a data set (counts, agreement figures). The same code is tested
    on the `local_data` fixtures everywhere; these checks skip, saying so,
    where the full data is absent."""
    root = real_data_root()
    if not root.is_dir():
        pytest.skip(
            f"full data sets not found at {root} (set SPACY_BERT_DATA to a local copy): check on the real data skipped"
        )
    return root


RAY_TOKEN_FILE = Path.home() / ".ray" / "auth_token"


@pytest.fixture
def local_ray():
    """A local Ray of 2 CPUs with a small object store, quiet (no usage
    stats, no dashboard, no token file), shut down after the test."""
    ray = pytest.importorskip("ray")
    from spacy_bert_components.ray_session import quiet_ray_environment

    had_token = RAY_TOKEN_FILE.exists()
    quiet_ray_environment(local_cluster=True)
    # address="local": a new Ray, even while a `ray.cluster_utils.Cluster`
    # of another test run on this machine has written its address to
    # /tmp/ray/ray_current_cluster (a bare ray.init() would join it, and
    # refuse num_cpus).
    ray.init(
        address="local", num_cpus=2, object_store_memory=80 * 1024 * 1024, include_dashboard=False, log_to_driver=False
    )
    yield
    ray.shutdown()
    assert RAY_TOKEN_FILE.exists() == had_token  # Ray's token file stays off
