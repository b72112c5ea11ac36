"""`spacy-bert demo`: annotate the demo corpus, write Parquet, print it.

The demo goes through the batch runner in one local process, then prints the
rows it wrote: what is printed and what is in the Parquet files are the same
annotations by construction.
"""

import json
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple


def read_jsonl_texts(path: Path) -> Iterator[Tuple[str, str]]:
    """Yield (id, text) from a JSON-lines file with `id` and `text` fields."""
    with path.open(encoding="utf8") as fileh:
        for i, line in enumerate(fileh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                yield str(record.get("id", f"{path.name}:{i}")), record["text"]
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path}:{i}: expected an object with a 'text' field ({err})") from None


def describe_row(row: Dict[str, Any], *, max_frames: int = 2) -> List[str]:
    """RETURNS (List[str]): Readable lines for one output row of the runner."""
    if row.get("error"):
        return [f"  error: {row['error']}"]
    lines = [f"  tokens: {row.get('n_tokens')}"]
    ents = row.get("ents")
    if ents:
        lines.append("  entities: " + ", ".join(f"{e['text']} ({e['label']})" for e in ents))
    sentiment = row.get("sentiment")
    if sentiment:
        lines.append(f"  sentiment: {sentiment['label']}, score {sentiment['score']:+.2f}")
    for frame in (row.get("srl") or [])[:max_frames]:
        predicate = frame["predicate"]
        args = "; ".join(f"{a['role']}: {a['text']}" for a in frame["arguments"])
        lines.append(f"  frame: {predicate['text']} [{predicate.get('roleset') or '-'}] {args}")
    summary = row.get("summary")
    if summary:
        lines.append("  summary: " + " ".join(s["text"] for s in summary))
    return lines


def read_rows(output: Path) -> List[Dict[str, Any]]:
    """RETURNS (List[Dict[str, Any]]): All rows the runner wrote, in input order."""
    import pyarrow.parquet as pq

    rows: List[Dict[str, Any]] = []
    for path in sorted(output.glob("*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    rows.sort(key=lambda r: (r["source"]["file"] or "", r["source"]["row"] or 0))
    return rows


def run_demo(corpus: Path, model: Optional[str] = None, output: Path = Path("output/demo")) -> int:
    """Annotate `corpus` into Parquet under `output` and print each document.

    RETURNS (int): The number of rows that carry an error.
    """
    from .batch.runner import RunSettings, annotate_corpus

    if output.exists():
        # Replace an earlier demo or annotate output, and nothing else: the
        # folder is user-given, and `--output .` must not wipe a checkout.
        if any(output.iterdir()) and not (output / "_manifest.json").exists():
            raise SystemExit(
                f"{output} is not empty and holds no _manifest.json of an earlier run: "
                "give --output an empty or new folder."
            )
        shutil.rmtree(output)
    summary = annotate_corpus([corpus], output, model=model, settings=RunSettings(local=True, batch_size=8))
    print(f"Annotated {summary.rows_out} documents into {output}/ ({summary.seconds:.1f} s)")
    texts = dict(read_jsonl_texts(corpus))
    for row in read_rows(output):
        text = texts.get(row["id"], "")
        print(f"[{row['id']}] {text[:72]}{'...' if len(text) > 72 else ''}")
        for line in describe_row(row):
            print(line)
    return summary.errors
