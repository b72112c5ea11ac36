"""Build the pipelines the benchmarks run, under benchmarks/out/pipelines/:

- `cheap`: blank English + sentencizer (no model: measures the runner itself,
  used for the peak-memory figures);
- `tiny`: sentencizer + a 2-layer, 32-wide BERT (built locally) + spaCy's ner
  and textcat on the shared encoder, trained a few steps (the test pipeline);
- `encoder`: sentencizer + the real default encoder (all-MiniLM-L6-v2, 6
  layers, 384 wide) without heads: the cost of one encoder pass per doc.

    python benchmarks/make_pipelines.py [cheap tiny encoder]
"""

import sys
from pathlib import Path

import spacy
from spacy.training import Example

OUT = Path(__file__).resolve().parent / "out" / "pipelines"
TRAIN = [
    ("Maria Santos visited Lisbon and loved it.", [(0, 12, "PERSON"), (21, 27, "GPE")], "pos"),
    ("The service in Paris was terrible.", [(15, 20, "GPE")], "neg"),
    ("John Smith hated the slow train to Berlin.", [(0, 10, "PERSON"), (35, 41, "GPE")], "neg"),
    ("A wonderful day with Anna in Rome.", [(21, 25, "PERSON"), (29, 33, "GPE")], "pos"),
]
LISTENER = {"@architectures": "spacy-bert-components.Listener.v1", "upstream": "*"}


def cheap() -> spacy.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def tiny() -> spacy.Language:
    from spacy_bert_components.encoder.tiny_bert import build_tiny_bert

    encoder = build_tiny_bert(OUT / "tiny-bert")
    nlp = cheap()
    nlp.add_pipe(
        "transformer", config={"model": {"@architectures": "spacy-bert-components.Encoder.v1", "name": str(encoder)}}
    )
    nlp.add_pipe(
        "ner",
        config={
            "model": {
                "@architectures": "spacy.TransitionBasedParser.v2",
                "state_type": "ner",
                "extra_state_tokens": False,
                "hidden_width": 16,
                "maxout_pieces": 2,
                "use_upper": True,
                "tok2vec": LISTENER,
            }
        },
    )
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatReduce.v1",
                "exclusive_classes": True,
                "use_reduce_first": False,
                "use_reduce_last": False,
                "use_reduce_max": False,
                "use_reduce_mean": True,
                "tok2vec": LISTENER,
            }
        },
    )
    examples = [
        Example.from_dict(
            nlp.make_doc(t), {"entities": e, "cats": {"pos": float(c == "pos"), "neg": float(c == "neg")}}
        )
        for t, e, c in TRAIN
    ]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(8):
        nlp.update(examples, sgd=optimizer)
    return nlp


def encoder() -> spacy.Language:
    from spacy_bert_components.pipeline import encoder_pipeline

    return encoder_pipeline("default")


def main() -> None:
    builders = {"cheap": cheap, "tiny": tiny, "encoder": encoder}
    OUT.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or list(builders):
        nlp = builders[name]()
        nlp.to_disk(OUT / name)
        print(f"{OUT / name}: {', '.join(nlp.pipe_names)}")


if __name__ == "__main__":
    main()
