"""Building and loading pipelines: `load()` and an encoder-only pipeline (benchmarks)."""
from pathlib import Path
from typing import Optional, Union

from spacy.language import Language

from .info import default_pipeline_path


def encoder_pipeline(encoder: str = "default", lang: str = "en") -> Language:
    """A blank pipeline with a sentencizer and the shared `transformer`
    running the given encoder, initialized and ready for `nlp.pipe`.

    encoder (str): "default", a model directory or a cached hub name.
    lang (str): Language of the blank pipeline.
    RETURNS (Language): The pipeline.
    """
    import spacy

    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        "transformer",
        config={"model": {"@architectures": "spacy-bert-components.Encoder.v1", "name": encoder}},
    )
    nlp.initialize()
    return nlp


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
