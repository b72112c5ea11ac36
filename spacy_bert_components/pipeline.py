"""Loading pipelines: `load()`, the embedded default unless told otherwise."""
from pathlib import Path
from typing import Optional, Union

from spacy.language import Language

from .info import default_pipeline_path


def load(name: Optional[Union[str, Path]] = None, **kwargs) -> Language:
    """Load a pipeline: the embedded default when `name` is None.

    name (Optional[Union[str, Path]]): A pipeline path or package name.
    **kwargs: Passed on to `spacy.load` (e.g. `exclude`).
    RETURNS (Language): The loaded pipeline.
    """
    import spacy

    if name is None:
        path = default_pipeline_path()
        if path is None:
            raise FileNotFoundError(
                "No default pipeline is installed with this version of "
                "spacy-bert-components; give a pipeline path or package name."
            )
        name = path
    return spacy.load(name, **kwargs)
