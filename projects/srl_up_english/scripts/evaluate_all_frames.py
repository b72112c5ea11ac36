"""Score a pipeline's SRL the way Universal PropBank counts predicates:
`spacy evaluate`, with `bert_srl` also writing the argument-less frames
PropBank's EWT annotation gives auxiliary have/be/do (have.01, be.03, do.01;
`auxiliary_frames = true`), which it leaves out by default. Only the
predicate and roleset scores can differ: those frames have no argument.

    python scripts/evaluate_all_frames.py MODEL corpus/dev.spacy --output metrics/frozen_all_frames.json
"""

import argparse
import json
from pathlib import Path

import spacy
from spacy.training import Corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("data", type=Path, help="DocBin with SRL gold")
    parser.add_argument("--output", type=Path, required=True, help="JSON file for the scores")
    parser.add_argument("--component", default="srl", help="Name of the bert_srl pipe")
    args = parser.parse_args()
    nlp = spacy.load(args.model, config={"components": {args.component: {"auxiliary_frames": True}}})
    scores = nlp.evaluate(Corpus(args.data)(nlp))
    srl_scores = {k: v for k, v in scores.items() if k.startswith("srl_")}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(srl_scores, indent=2), encoding="utf8")
    print(json.dumps({k: round(100 * v, 2) for k, v in srl_scores.items() if isinstance(v, float)}))


if __name__ == "__main__":
    main()
