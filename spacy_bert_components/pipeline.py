"""Building and loading pipelines: `load()`, an encoder-only pipeline
(benchmarks), and `freeze_loaded_objects()` for processes that only annotate."""

import gc
from pathlib import Path
from typing import Optional, Union

from spacy.language import Language

from . import info
from .encoder.resolve import resolve_encoder
from .errors import ModelNotFoundError


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


def shipped_or_path(name: Optional[Union[str, Path]]) -> Union[str, Path]:
    """name (Optional[Union[str, Path]]): None or "default" (the embedded
        default pipeline), "accurate" (the accurate tier), a pipeline path or
        an installed package name.
    RETURNS (Union[str, Path]): The shipped pipeline's directory, else `name`.
    """
    if name is None or (isinstance(name, str) and name in info.SHIPPED_PIPELINES):
        key = name or "default"
        # The default goes through `default_pipeline_path`, the one lookup the
        # runner and its tests use for "is a default pipeline installed".
        path = info.default_pipeline_path() if key == "default" else info.shipped_pipeline_path(key)
        if path is None:
            raise ModelNotFoundError(
                f"No {key} pipeline is installed with this version of spacy-bert-components; "
                "give a pipeline path or package name."
            )
        return path
    return name


def require_encoder(path: Path) -> None:
    """Fail with a one-line fix before loading a pipeline whose shared
    encoder is not where its name resolves (for the accurate tier:
    `spacy-bert encoder install all-mpnet-base-v2` has not run).

    path (Path): A pipeline directory.
    """
    from spacy.util import load_config

    config = load_config(Path(path) / "config.cfg", interpolate=False)
    model = config.get("components", {}).get("transformer", {}).get("model", {})
    # Only an encoder saved by reference needs its weights from outside the
    # pipeline; one saved with its weights loads anywhere.
    if isinstance(model, dict) and model.get("save_weights") is False and isinstance(model.get("name"), str):
        resolve_encoder(model["name"])


def load(name: Optional[Union[str, Path]] = None, **kwargs) -> Language:
    """Load a pipeline: the embedded default when `name` is None.

    name (Optional[Union[str, Path]]): "default", "accurate", a pipeline path
        or an installed package name.
    **kwargs: Passed on to `spacy.load` (e.g. `exclude`).
    RETURNS (Language): The loaded pipeline.
    """
    import spacy

    target = shipped_or_path(name)
    if Path(target).is_dir() and (Path(target) / "config.cfg").exists():
        require_encoder(Path(target))
    return spacy.load(target, **kwargs)


def freeze_loaded_objects() -> None:
    """Move every object alive now (the loaded pipeline: its vocab, weights
    and Python modules, ~400k objects) out of the garbage collector's reach.

    A full collection scans every tracked object; with the default pipeline,
    torch and transformers loaded, one took 0.2 s here. Annotating a batch
    of docs that are kept alive triggered such collections: 0.2 of the four
    heads' 0.7 s on 120 demo docs under a profiler. Streaming docs through
    (the batch runner, the throughput script) triggers few: the throughput
    figures differ by 0.2 points. Freezing makes the collector skip what was
    loaded, which stays alive anyway (`gc.freeze`, as pre-forking servers
    do). Called by the batch runner's workers (so by the demo) and the
    throughput script after loading; in your own process, call it once the
    pipeline is loaded if the process mostly annotates.
    """
    gc.collect()
    gc.freeze()
