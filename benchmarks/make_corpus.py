"""Generate a Parquet corpus of short English documents for the benchmarks.

    python benchmarks/make_corpus.py --docs 20000 --output benchmarks/data/corpus-20000.parquet

Documents are 1 to 3 sentences drawn (seeded) from the demo corpus, with an
`id` and a `text` column, in row groups of 1,000 rows. Their size (words and
characters per doc) is printed, so the benchmark figures can say what was
annotated.
"""

import argparse
import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from spacy_bert_components.info import DEMO_CORPUS as DEMO


def sentences() -> list:
    found = []
    for line in DEMO.read_text(encoding="utf8").splitlines():
        if line.strip():
            found.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", json.loads(line)["text"]) if s.strip())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-sentences", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = sentences()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    words = chars = 0
    for start in range(0, args.docs, 1000):
        n = min(1000, args.docs - start)
        texts = [" ".join(rng.sample(pool, rng.randint(1, args.max_sentences))) for _ in range(n)]
        words += sum(len(t.split()) for t in texts)
        chars += sum(len(t) for t in texts)
        table = pa.table({"id": [f"doc-{start + i:07d}" for i in range(n)], "text": texts})
        if writer is None:
            writer = pq.ParquetWriter(args.output, table.schema)
        writer.write_table(table)
    writer.close()
    print(
        f"{args.output}: {args.docs} docs from {len(pool)} demo sentences, "
        f"{words / args.docs:.1f} words and {chars / args.docs:.0f} characters per doc on average"
    )


if __name__ == "__main__":
    main()
