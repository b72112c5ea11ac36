"""What `spacy-bert info` reports."""
from pathlib import Path
from typing import Any, Dict, Optional

from .about import __version__
from .encoder.resolve import DEFAULT_ENCODER, resolve_encoder, weights_file, weights_sha256
from .errors import EncoderNotFoundError

# Both ship inside the package, so a wheel install finds them wherever it runs.
DEFAULT_PIPELINE_DIR = Path(__file__).parent / "default_pipeline"
DEMO_CORPUS = Path(__file__).parent / "demo_corpus" / "demo.jsonl"


def default_pipeline_path() -> Optional[Path]:
    """RETURNS (Optional[Path]): The shipped default pipeline, if there is one."""
    if (DEFAULT_PIPELINE_DIR / "config.cfg").exists():
        return DEFAULT_PIPELINE_DIR
    return None


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
    return {
        "version": __version__,
        "default_encoder": encoder,
        "default_pipeline": str(pipeline) if pipeline else None,
    }
