"""What `spacy-bert info` reports."""

from pathlib import Path
from typing import Any, Dict, Optional

from .about import __version__
from .encoder.resolve import DEFAULT_ENCODER, resolve_encoder, weights_file, weights_sha256
from .errors import EncoderNotFoundError

# The shipped pipelines live inside the package, so a wheel install finds them
# wherever it runs. The accurate one holds its heads only: its encoder
# (all-mpnet-base-v2) is saved by reference and installed by `spacy-bert
# encoder install`.
DEFAULT_PIPELINE_DIR = Path(__file__).parent / "default_pipeline"
ACCURATE_PIPELINE_DIR = Path(__file__).parent / "accurate_pipeline"
SHIPPED_PIPELINES = {"default": DEFAULT_PIPELINE_DIR, "accurate": ACCURATE_PIPELINE_DIR}
# The demo corpus has one copy, in the repository's sample corpus; setup.py
# copies it into the built package (PACKAGED_DEMO_CORPUS). An editable install
# has no built copy and reads the repository's file.
PACKAGED_DEMO_CORPUS = Path(__file__).parent / "demo_corpus" / "demo.jsonl"
REPOSITORY_DEMO_CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "demo.jsonl"


def demo_corpus_path() -> Path:
    """RETURNS (Path): The demo corpus: the copy built into the package, else
    the repository's `corpus/demo.jsonl`."""
    if PACKAGED_DEMO_CORPUS.exists():
        return PACKAGED_DEMO_CORPUS
    return REPOSITORY_DEMO_CORPUS


DEMO_CORPUS = demo_corpus_path()


def shipped_pipeline_path(name: str = "default") -> Optional[Path]:
    """name (str): "default" or "accurate".
    RETURNS (Optional[Path]): That shipped pipeline, if this version has it."""
    path = SHIPPED_PIPELINES[name]
    return path if (path / "config.cfg").exists() else None


def default_pipeline_path() -> Optional[Path]:
    """RETURNS (Optional[Path]): The shipped default pipeline, if there is one."""
    return shipped_pipeline_path("default")


def collect_info() -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): Version, default encoder and default pipeline."""
    encoder: Dict[str, Any] = {"name": DEFAULT_ENCODER}
    try:
        model_dir = resolve_encoder(DEFAULT_ENCODER)
        encoder["path"] = str(model_dir)
        encoder["weights"] = str(weights_file(model_dir))
        encoder["sha256"] = weights_sha256(model_dir)
    except EncoderNotFoundError as err:
        encoder["error"] = str(err)
    pipeline = default_pipeline_path()
    accurate = shipped_pipeline_path("accurate")
    return {
        "version": __version__,
        "default_encoder": encoder,
        "default_pipeline": str(pipeline) if pipeline else None,
        "accurate_pipeline": str(accurate) if accurate else None,
    }
