"""Install a built pipeline into the package: the package's pipeline folder
is replaced by a copy of PIPELINE.

    python scripts/install_pipeline.py training/default_pipeline ../../spacy_bert_components/default_pipeline

PIPELINE must be a saved pipeline (config.cfg and meta.json), and so must the
folder it replaces, unless that is empty: a wrong path deletes nothing else.
"""

import argparse
import shutil
import sys
from pathlib import Path

PIPELINE_FILES = ("config.cfg", "meta.json")


def is_pipeline(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in PIPELINE_FILES)


def install(pipeline: Path, dest: Path) -> None:
    """Replace `dest` by a copy of `pipeline` (copied beside it first, so a
    failed copy leaves the old pipeline in place)."""
    if not is_pipeline(pipeline):
        sys.exit(f"{pipeline}: not a saved pipeline (no {' or '.join(PIPELINE_FILES)})")
    if dest.exists() and not (is_pipeline(dest) or (dest.is_dir() and not any(dest.iterdir()))):
        sys.exit(f"{dest}: exists and is not a saved pipeline; not replacing it")
    staging = dest.with_name(dest.name + ".installing")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(pipeline, staging)
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pipeline", type=Path, help="the built pipeline")
    parser.add_argument("dest", type=Path, help="the package's pipeline folder")
    args = parser.parse_args()
    install(args.pipeline, args.dest)
    print(f"{args.dest}: installed from {args.pipeline}")


if __name__ == "__main__":
    main()
