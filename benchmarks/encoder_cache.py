"""The first epoch of a frozen-encoder training run, with the encoder output
cache on disk filled and with no cache, one after the other on this machine.

    python benchmarks/encoder_cache.py --encoder all-mpnet-base-v2 [--docs 60]

Trains `projects/ner_conll03/configs/frozen.cfg` (the BiLSTM NER head on a
frozen encoder) for one epoch on the first `--docs` CoNLL-2003 training
documents (`--data-dir`, converted here), three times, each a new
`spacy train` process:

1. no cache (`SPACY_BERT_ENCODER_CACHE_MB=0`): every example encoded;
2. an empty cache: encoded and written (what a first run costs);
3. the cache filled by run 2: a new run of the same head reads it.

Each run's first epoch is timed from its first update to the start of its
second epoch (a `before_update` callback, `benchmarks/epoch_timer.py`, which
ends the run there); loading and initializing the pipeline are not in it.
Prints the first epochs' seconds and the ratio of 1 to 3. The cache lives in
a temporary folder, removed at the end.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "projects" / "ner_conll03" / "configs" / "frozen.cfg"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ner" / "conll2003"


def convert(data_dir: Path, out: Path, docs: int) -> None:
    for split, limit in (("train", docs), ("dev", 5)):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "spacy_bert_components",
                "convert",
                "conll03",
                str(data_dir / f"{split}.iob"),
                str(out / f"{split}.spacy"),
                "--limit",
                str(limit),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def timed_config(work: Path) -> Path:
    """The project's config with the epoch timer as `before_update`."""
    import spacy.util

    config = spacy.util.load_config(CONFIG, interpolate=False)
    config["training"]["before_update"] = {
        "@callbacks": "spacy-bert-benchmarks.epoch_timer.v1",
        "path": str(work / "epoch.txt"),
    }
    config["training"]["max_epochs"] = 2
    config["training"]["eval_frequency"] = 1_000_000
    path = work / "frozen_timed.cfg"
    config.to_disk(path)
    return path


def first_epoch(work: Path, config: Path, encoder: str, env: dict, name: str) -> float:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "train",
            str(config),
            "--output",
            str(work / name),
            "--code",
            str(Path(__file__).resolve().parent / "epoch_timer.py"),
            "--paths.train",
            str(work / "train.spacy"),
            "--paths.dev",
            str(work / "dev.spacy"),
            "--components.transformer.model.name",
            encoder,
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return float((work / "epoch.txt").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="default")
    parser.add_argument("--docs", type=int, default=60, help="CoNLL-2003 training documents")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SPACY_BERT_CONLL_DIR", DEFAULT_DATA)))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        convert(args.data_dir, work, args.docs)
        config = timed_config(work)
        env = dict(os.environ, SPACY_BERT_ENCODER_CACHE_DIR=str(work / "cache"))
        none = first_epoch(work, config, args.encoder, dict(env, SPACY_BERT_ENCODER_CACHE_MB="0"), "none")
        fill = first_epoch(work, config, args.encoder, env, "fill")
        filled = first_epoch(work, config, args.encoder, env, "filled")
        size = sum(p.stat().st_size for p in (work / "cache").rglob("*") if p.is_file())
    print(f"encoder {args.encoder}, {args.docs} CoNLL-2003 documents, one epoch of configs/frozen.cfg (NER):")
    print(f"  first epoch: no cache {none:.1f} s; filling the cache {fill:.1f} s; cache filled {filled:.1f} s")
    print(f"  no cache / cache filled: {none / filled:.2f}x; cache size {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
