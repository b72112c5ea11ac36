"""Set the assembled pipeline's encoder stage: `Encoder.v2` with whole
sentences packed into windows of at most N wordpieces, length-sorted
prediction over all the docs of a batch, and the inference precision.

The encoder is frozen and saved by reference, so only its config changes:
the heads keep their weights, and the pipeline is loaded with the new
settings and saved in place.

    python scripts/encoder_stage.py PIPELINE [--output DIR] [--max-wordpieces 256] [--precision fp32|bf16|int8|auto] [--max-batch-items 65536]
"""

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pipeline", type=Path)
    parser.add_argument("--output", type=Path, default=None, help="save here (default: in place)")
    parser.add_argument("--max-wordpieces", type=int, default=256, help="window budget, [CLS] and [SEP] included")
    parser.add_argument("--precision", choices=["fp32", "bf16", "int8", "auto"], default="fp32")
    # Doc tokens per encoder call: the whole batch, so that windows of
    # similar length are batched together across all of its documents.
    parser.add_argument("--max-batch-items", type=int, default=65536)
    args = parser.parse_args()
    import spacy

    overrides = {
        "components.transformer.max_batch_items": args.max_batch_items,
        "components.transformer.model.@architectures": "spacy-bert-components.Encoder.v2",
        "components.transformer.model.precision": args.precision,
        "components.transformer.model.get_spans": {
            "@span_getters": "spacy-bert-components.sentence_windows.v1",
            "max_wordpieces": args.max_wordpieces,
        },
    }
    nlp = spacy.load(args.pipeline, config=overrides)
    output = args.output or args.pipeline
    nlp.to_disk(output)
    print(
        f"{output}: encoder windows of whole sentences up to {args.max_wordpieces} wordpieces, precision {args.precision}"
    )


if __name__ == "__main__":
    main()
