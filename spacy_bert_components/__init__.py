"""spaCy pipeline components backed by one shared BERT encoder."""

from .about import __version__


def load(name=None, **kwargs):
    """Load a pipeline: the embedded default pipeline when `name` is None.

    name (Optional[Union[str, Path]]): A pipeline path or package name.
    **kwargs: Passed on to `spacy.load` (e.g. `exclude`).
    RETURNS (Language): The loaded pipeline.
    """
    from .pipeline import load as load_pipeline  # spaCy and torch load lazily

    return load_pipeline(name, **kwargs)


__all__ = ["__version__", "load"]
