"""Which pipeline a run uses: find it, load it in a worker, hash it, and tell
its output columns from its config without loading its weights."""

import hashlib
from pathlib import Path
from typing import Optional

from spacy.language import Language

from ..errors import ModelNotFoundError
from .columns import ColumnSpec, spec_for_pipeline, spec_from_components


def model_path(model: Optional[str]) -> Path:
    """model (Optional[str]): A pipeline directory, an installed package name,
    "accurate" or "default", or None for the embedded default pipeline.
    RETURNS (Path): The directory holding the pipeline's config.cfg.
    """
    from ..info import SHIPPED_PIPELINES
    from ..pipeline import shipped_or_path

    if model is None or model in SHIPPED_PIPELINES:
        return Path(shipped_or_path(model))
    path = Path(model)
    if path.exists():
        if not (path / "config.cfg").exists():
            raise ModelNotFoundError(f"{path}: not a spaCy pipeline directory (no config.cfg)")
        return path
    import spacy.util

    if spacy.util.is_package(model):
        package = spacy.util.get_package_path(model)
        for candidate in sorted(package.glob("*/config.cfg")):
            return candidate.parent
        if (package / "config.cfg").exists():
            return package
    raise ModelNotFoundError(f"--model {model}: no such pipeline directory or installed package")


def load_pipeline(model: Optional[str], *, worker: bool = False) -> Language:
    """Load the pipeline in this process (each worker calls this itself).

    worker (bool): This process only annotates from now on: freeze what is
        loaded out of the garbage collector's scans (`freeze_loaded_objects`).
    RETURNS (Language): The pipeline.
    """
    from ..pipeline import freeze_loaded_objects, load

    nlp = load(model_path(model))
    if worker:
        freeze_loaded_objects()
    return nlp


def pipeline_hash(path: Path) -> str:
    """RETURNS (str): sha256 over the names and bytes of every file of the
    pipeline directory, so that a resumed run can tell a changed model."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode("utf8") + b"\0")
        with file.open("rb") as fileh:
            for chunk in iter(lambda: fileh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def spec_for_model(path: Path) -> Optional[ColumnSpec]:
    """Tell the output columns from the pipeline's config and the factories'
    declared `assigns`, without building the pipeline.

    RETURNS (Optional[ColumnSpec]): None when a component cannot be told
    (a sourced component, an unknown factory): load the pipeline then.
    """
    import spacy.util
    from spacy import registry

    config = spacy.util.load_config(path / "config.cfg", interpolate=False)
    components = []
    disabled = set(config["nlp"].get("disabled", []))
    for name in config["nlp"]["pipeline"]:
        if name in disabled:
            continue
        block = config["components"].get(name, {})
        factory = block.get("factory")
        if factory is None:
            return None
        try:
            internal = Language.get_factory_name(factory)
            if internal not in Language._factory_meta:
                registry.factories.get(internal)  # imports entry points
            meta = Language.get_factory_meta(factory)
        except Exception:  # noqa: BLE001 - unknown: fall back to loading
            return None
        components.append({"factory": factory, "assigns": meta.assigns, "spans_key": block.get("spans_key")})
    return spec_from_components(components)


def columns_for_model(model: Optional[str]) -> ColumnSpec:
    """RETURNS (ColumnSpec): The output columns of the pipeline `model`."""
    spec = spec_for_model(model_path(model))
    if spec is None:
        spec = spec_for_pipeline(load_pipeline(model))
    return spec
