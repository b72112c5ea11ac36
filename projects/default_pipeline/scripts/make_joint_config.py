"""Write the joint multi-task config from the task projects' frozen configs.

The four heads are copied from the task projects' frozen configs unchanged
(one source of truth for each head); what this adds is one transformer for
all of them and a mixed corpus:

* `--encoder adapted`: low-rank adapters on the packaged encoder
  (`spacy-bert-components.AdaptedEncoder.v1`), trained jointly by every head;
  saved as a reference plus the adapters.
* `--encoder frozen`: the frozen packaged encoder, as in the task configs.

    python scripts/make_joint_config.py --encoder adapted --output training/adapted.cfg
"""

import argparse
from pathlib import Path

from thinc.api import Config

PROJECTS = Path(__file__).resolve().parents[2]
# component name -> (task config, train corpus, dev corpus); {heads} is
# "light" or "frozen" (the summarizer has one head size).
HEADS = {
    "ner": ("ner_conll03/configs/{heads}.cfg", "ner_conll03/corpus/train.spacy", "ner_conll03/corpus/dev.spacy"),
    "sentiment": (
        "sentiment_sst2/configs/{heads}.cfg",
        "sentiment_sst2/corpus/train.spacy",
        "sentiment_sst2/corpus/dev.spacy",
    ),
    "srl": (
        "srl_up_english/configs/{heads}.cfg",
        "srl_up_english/corpus/propbank/train.spacy",
        "srl_up_english/corpus/dev.spacy",
    ),
    "summarizer": (
        "summarization/configs/bbc_frozen.cfg",
        "summarization/corpus/bbc/train.spacy",
        "summarization/corpus/bbc/dev.spacy",
    ),
}
# The trained heads `--from-trained` starts from. The light ones are the
# default pipeline's, as `configs/assemble.cfg` names them (the distilled
# sentiment head, the SRL head trained on the served windows); the frozen ones are the task
# projects' frozen configs, trained.
ASSEMBLE_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "assemble.cfg"
TRAINED_FROZEN = {
    "ner": "../ner_conll03/training/frozen/model-best",
    "sentiment": "../sentiment_sst2/training/frozen/model-best",
    "srl": "../srl_up_english/training/frozen/model-best",
    "summarizer": "../summarization/training/bbc_frozen/model-best",
}
SCORE_WEIGHTS = {"ents_f": 0.25, "sentiment_acc": 0.25, "srl_f": 0.25, "summary_rouge1": 0.25}


def trained_heads(heads: str) -> dict:
    """RETURNS (dict): Component name -> trained pipeline to source it from."""
    if heads == "light":
        paths = Config().from_disk(ASSEMBLE_CONFIG, interpolate=False)["paths"]
        return {name: paths[f"{name}_model"] for name in HEADS}
    return TRAINED_FROZEN


def make_joint_config(
    encoder: str, dev_limit: int, max_steps: int, heads: str = "light", from_trained: bool = False
) -> Config:
    configs = {
        name: Config().from_disk(PROJECTS / cfg.format(heads=heads), interpolate=False)
        for name, (cfg, _, _) in HEADS.items()
    }
    base = configs["ner"]
    joint = Config(base)  # sentencizer, transformer, training and optimizer settings
    joint["nlp"]["pipeline"] = ["sentencizer", "transformer", *HEADS]
    trained = trained_heads(heads) if from_trained else {}
    for name, config in configs.items():
        if from_trained:
            # Sourced: spaCy keeps the trained weights and resumes training
            # them; the listeners link to this config's transformer.
            joint["components"][name] = {"source": trained[name]}
        else:
            joint["components"][name] = config["components"][name]
    joint["paths"] = {"train": None, "dev": None, "vectors": None, "init_tok2vec": None}
    for name, (_, train, dev) in HEADS.items():
        joint["paths"][f"{name}_train"] = f"../{train}"
        joint["paths"][f"{name}_dev"] = f"../{dev}"
    joint["corpora"] = {
        "train": {
            "@readers": "spacy-bert-components.MultiTaskCorpus.v1",
            "paths": {name: f"${{paths.{name}_train}}" for name in HEADS},
            "temperature": 0.5,
        },
        "dev": {
            "@readers": "spacy-bert-components.MultiTaskCorpus.v1",
            "paths": {name: f"${{paths.{name}_dev}}" for name in HEADS},
            "sample": False,
            "limit": dev_limit,
        },
    }
    training = joint["training"]
    training["score_weights"] = dict(SCORE_WEIGHTS)
    training["max_steps"] = max_steps
    training["max_epochs"] = 0
    if encoder == "adapted":
        model = joint["components"]["transformer"]["model"]
        model["@architectures"] = "spacy-bert-components.AdaptedEncoder.v1"
        model.pop("mixed_precision", None)
        model.pop("grad_scaler_config", None)
        model["lora_rank"] = 8
        model["lora_alpha"] = 16.0
        training["frozen_components"] = []
        training["annotating_components"] = []
        joint["initialize"]["before_init"] = None
        if from_trained:
            joint["initialize"]["after_init"] = {
                "@callbacks": "spacy-bert-components.link_sourced_listeners.v1",
                "component": "transformer",
            }
        # Adapters start as a zero delta: the encoder begins as the frozen
        # one, so heads sourced from frozen training begin at their frozen
        # scores. Heads and adapters then train at one moderate rate.
        training["optimizer"] = {
            "@optimizers": "spacy-bert-components.Adam.v1",
            "encoder_lr_scale": 1.0,
            "L2": 0.01,
            "grad_clip": 1.0,
            "use_averages": False,
            "learn_rate": {
                "@schedules": "warmup_linear.v1",
                "warmup_steps": max(1, max_steps // 10),
                "total_steps": max_steps,
                "initial_rate": 0.0003 if from_trained else 0.001,
            },
        }
    else:
        joint["initialize"]["before_init"] = {
            "@callbacks": "spacy-bert-components.init_frozen_encoder.v1",
            "component": "transformer",
        }
    return joint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", choices=["adapted", "frozen"], default="adapted")
    parser.add_argument(
        "--heads", choices=["light", "frozen"], default="light", help="the task configs the heads come from"
    )
    parser.add_argument(
        "--from-trained", action="store_true", help="start from the trained task heads (sourced), not fresh ones"
    )
    parser.add_argument("--dev-limit", type=int, default=200, help="dev docs per task during training")
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    config = make_joint_config(args.encoder, args.dev_limit, args.max_steps, args.heads, args.from_trained)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    config.to_disk(args.output, interpolate=False)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
