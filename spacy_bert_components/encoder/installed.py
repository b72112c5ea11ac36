"""Where installed encoders live: the user's encoder cache.

`SPACY_BERT_ENCODERS_DIR` where set, else
`$XDG_CACHE_HOME/spacy-bert-components/encoders` (`~/.cache/...`). Each
known encoder is a folder named for it, written by `spacy-bert encoder
install` (`install.py`) and found by the resolver.
"""

import os
from pathlib import Path

from .known_encoders import KnownEncoder

ENCODERS_DIR_ENV = "SPACY_BERT_ENCODERS_DIR"


def encoders_dir() -> Path:
    """RETURNS (Path): The folder installed encoders live in (it may not
    exist yet)."""
    value = os.environ.get(ENCODERS_DIR_ENV)
    if value:
        return Path(value).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "spacy-bert-components" / "encoders"


def installed_path(encoder: KnownEncoder) -> Path:
    """RETURNS (Path): Where `encoder` is (or would be) installed."""
    return encoders_dir() / encoder.name


def is_installed(encoder: KnownEncoder) -> bool:
    """RETURNS (bool): Whether `encoder`'s folder is there with every pinned
    file at its pinned size (the hashes were checked when it was installed)."""
    path = installed_path(encoder)
    return all(
        (path / rel).is_file() and (path / rel).stat().st_size == size for rel, (size, _) in encoder.files.items()
    )


def install_command(name: str) -> str:
    """RETURNS (str): The command that installs the known encoder `name`."""
    return f"spacy-bert encoder install {name}"
