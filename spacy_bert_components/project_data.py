"""The data step of the projects under `projects/`: fill `assets/` from a
local copy of the public data sets, or check that `spacy project assets`
filled it.

A local copy (the environment variable SPACY_BERT_DATA, which each
project's `env` section passes in) is laid out as `assets/` is:
`ner/conll2003/train.iob`, `srl/propbank_ewt/skel`, ... Each asset path is
copied from the same path in the copy. Copies, not symbolic links:
`spacy project assets` resolves links and would replace or delete what they
point to, which would be the local copy itself.
"""

import shutil
from pathlib import Path
from typing import List, Optional, Sequence

from .errors import ProjectDataError

ASSETS = Path("assets")
ENV_VAR = "SPACY_BERT_DATA"


def fill_asset(local_copy: Path, dest: Path) -> None:
    """Replace `dest` (a path under assets/) by a copy of the same path in
    `local_copy`."""
    source = local_copy / dest.relative_to(ASSETS)
    if not source.exists():
        raise ProjectDataError(f"{source} not found: {ENV_VAR}={local_copy} must be laid out as assets/ ({dest})")
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.is_dir():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Contents only, not permissions: a read-only local copy must not give
    # read-only assets that a later fill or `spacy project assets` cannot replace.
    if source.is_dir():
        # (symlinks, ignore, and the copy of each file: its contents only)
        shutil.copytree(source, dest, False, None, shutil.copyfile)
        for folder in [dest, *(path for path in dest.rglob("*") if path.is_dir())]:
            folder.chmod(folder.stat().st_mode | 0o700)
    else:
        shutil.copyfile(source, dest)


def fill_assets(assets: Sequence[Path], local_copy: Optional[Path]) -> List[str]:
    """Copy each asset from `local_copy`, or, without one, check that all
    are in place.

    assets (Sequence[Path]): Asset paths under `assets/`, relative to the project.
    local_copy (Optional[Path]): Root of a local copy; None: none.
    RETURNS (List[str]): What was done, one line per asset.
    """
    outside = [str(p) for p in assets if ASSETS not in Path(p).parents]
    if outside:
        raise ProjectDataError(f"not under {ASSETS}/: {', '.join(outside)}")
    if local_copy is not None:
        if not local_copy.is_dir():
            raise ProjectDataError(
                f"{ENV_VAR}={local_copy}: no such folder (a relative path is read from the project folder)"
            )
        for dest in assets:
            fill_asset(local_copy, Path(dest))
        return [f"{dest}: copied from {local_copy / Path(dest).relative_to(ASSETS)}" for dest in assets]
    missing = [str(p) for p in assets if not Path(p).exists()]
    if missing:
        raise ProjectDataError(
            f"Missing assets: {', '.join(missing)}. Fetch them with `spacy project assets` "
            f"(add --extra for assets marked extra), or set {ENV_VAR} to a local copy of the data "
            f"laid out as assets/ (ner/conll2003/train.iob, ...)."
        )
    return [f"{len(assets)} assets in place"]
