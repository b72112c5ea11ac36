"""spaCy pipeline components backed by one shared BERT encoder."""
from .about import __version__
from .encoder.resolve import set_offline_env

# Before anything imports transformers: never reach for a model hub.
set_offline_env()

__all__ = ["__version__"]
