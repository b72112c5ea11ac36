"""Check an assembled default pipeline: its size on disk, that its encoder is
saved by reference, and how long it takes to load.

    python scripts/check_pipeline.py PATH [--max-mb 20]
"""

import argparse
import json
import sys
import time
from pathlib import Path


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--max-mb", type=float, default=20.0)
    args = parser.parse_args()
    import spacy

    size = folder_mb(args.path)
    config = spacy.util.load_config(args.path / "config.cfg")
    by_reference = config["components"]["transformer"]["model"].get("save_weights") is False
    start = time.perf_counter()
    nlp = spacy.load(args.path)
    load_s = time.perf_counter() - start
    result = {
        "path": str(args.path),
        "pipeline": nlp.pipe_names,
        "size_mb": round(size, 2),
        "encoder_by_reference": by_reference,
        "load_s": round(load_s, 2),
    }
    print(json.dumps(result, indent=2))
    if size > args.max_mb or not by_reference:
        sys.exit(f"{args.path}: {size:.1f} MB (limit {args.max_mb}), encoder by reference: {by_reference}")


if __name__ == "__main__":
    main()
