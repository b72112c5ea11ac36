"""Compare NER on the packaged and on the adapted encoder: one Markdown table
from the `spacy evaluate` outputs, with the pre-training figures above it.

    python scripts/compare.py PRETRAIN_METRICS NER_BASE NER_ADAPTED --output metrics/comparison.md
"""

import json
from pathlib import Path
from typing import Any, Dict, List

import click

TYPES = ("PER", "LOC", "ORG", "MISC")


def _percent(value: Any) -> str:
    return f"{100 * value:.2f}" if isinstance(value, (int, float)) else "-"


def ner_row(name: str, scores: Dict[str, Any]) -> str:
    per_type = scores.get("ents_per_type") or {}
    cells = [name, _percent(scores.get("ents_p")), _percent(scores.get("ents_r")), _percent(scores.get("ents_f"))]
    cells += [_percent(per_type.get(label, {}).get("f")) for label in TYPES]
    return "| " + " | ".join(cells) + " |"


@click.command()
@click.argument("pretrain_metrics", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("ner_base", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("ner_adapted", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def main(pretrain_metrics: Path, ner_base: Path, ner_adapted: Path, output: Path) -> None:
    pretrain = json.loads(pretrain_metrics.read_text(encoding="utf8"))
    base = json.loads(ner_base.read_text(encoding="utf8"))
    adapted = json.loads(ner_adapted.read_text(encoding="utf8"))
    lines: List[str] = [
        f"Pre-training: {pretrain['steps']} steps, {pretrain['tokens_per_s']} tokens/s; held-out MLM loss "
        f"{pretrain['heldout_mlm_loss_before']} -> {pretrain['heldout_mlm_loss_after']}",
        "",
        "| encoder | ents_p | ents_r | ents_f | " + " | ".join(f"{label} F" for label in TYPES) + " |",
        "|---" * (4 + len(TYPES)) + "|",
        ner_row("packaged", base),
        ner_row("adapted", adapted),
        "",
        f"ents_f adapted - packaged: {100 * (adapted['ents_f'] - base['ents_f']):+.2f}",
    ]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines) + "\n", encoding="utf8")
    click.echo("\n".join(lines))


if __name__ == "__main__":
    main()
