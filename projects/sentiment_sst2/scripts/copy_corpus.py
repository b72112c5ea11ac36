"""Copy a DocBin to one or more places: a corpus folder that `spacy train`
reads whole (`--paths.train FOLDER`) gets the gold data beside the silver.

    python scripts/copy_corpus.py corpus/train.spacy corpus/distil/gold.spacy
"""
import argparse
import shutil
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the .spacy file")
    parser.add_argument("dests", nargs="+", type=Path, help="where its copies go")
    args = parser.parse_args()
    for dest in args.dests:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.source, dest)
        print(f"{dest}: copy of {args.source}")


if __name__ == "__main__":
    main()
