"""bert_ner's batched greedy decoding against spaCy's own loop.

Over the same encoded docs (the pipeline up to its `transformer`, BBC
articles and the demo documents), each round annotates fresh copies of the
docs with spaCy's `EntityRecognizer.predict` / `set_annotations` and with
`bert_ner`'s, in the batches `nlp.pipe` gives them (docs sorted by length,
sub-batches of a quarter of the batch size), torch and BLAS at one thread;
both include the head's own model (its listener, window layers and the
precomputed state features; the hidden states pooled per token are kept on
the docs after the first round, as the pipeline's first listener keeps them
for the others). Prints the fastest round of each and whether
every doc got the same entity annotation (IOB, type and KB id per token).

    python benchmarks/ner_decoding.py [--model PATH] [--bbc-dir DIR] [--bbc-docs 120] [--rounds 3]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import DEFAULT_BBC, bbc_texts, demo_texts  # noqa: E402


def fresh_copies(docs: List[Any]) -> List[Any]:
    from spacy.tokens import Doc

    copies = []
    for doc in docs:
        copy = Doc(doc.vocab).from_bytes(doc.to_bytes())
        copy._.trf_data = doc._.trf_data
        copies.append(copy)
    return copies


def annotate(ner: Any, docs: List[Any], predict: Callable, set_annotations: Callable, batch_size: int) -> float:
    from spacy.util import minibatch

    start = time.perf_counter()
    for batch in minibatch(docs, batch_size):
        for sub in minibatch(sorted(batch, key=len), max(batch_size // 4, 2)):
            set_annotations(ner, sub, predict(ner, sub))
    return time.perf_counter() - start


def main() -> None:
    from spacy_bert_components.info import DEMO_CORPUS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="pipeline path (default: the embedded default)")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default=None)
    parser.add_argument("--bbc-dir", type=Path, default=Path(os.environ.get("SPACY_BERT_BBC_DIR", DEFAULT_BBC)))
    parser.add_argument("--bbc-docs", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import numpy
    from spacy.attrs import ENT_IOB, ENT_KB_ID, ENT_TYPE
    from spacy.pipeline import EntityRecognizer

    from spacy_bert_components.ner import greedy
    from spacy_bert_components.pipeline import load
    from spacy_bert_components.threads import set_compute_threads

    set_compute_threads(1)
    overrides = {"components.transformer.model.precision": args.precision} if args.precision else {}
    nlp = load(args.model or None, config=overrides)
    ner = nlp.get_pipe("ner")
    if not greedy.supports(ner):
        raise SystemExit(
            f"{args.model or 'the default pipeline'}: its NER model is outside the batched decoder's rules"
        )
    texts = demo_texts(DEMO_CORPUS, 1)
    if args.bbc_dir.is_dir():
        texts = bbc_texts(args.bbc_dir, args.bbc_docs, 0) + texts
    upstream = nlp.pipe_names[: nlp.pipe_names.index("ner")]
    docs = list(nlp.pipe(texts, disable=[name for name in nlp.pipe_names if name not in upstream]))
    ours = type(ner)
    best = {"spacy_loop_s": float("inf"), "batched_s": float("inf")}
    same = True
    for _ in range(args.rounds):
        theirs_docs, our_docs = fresh_copies(docs), fresh_copies(docs)
        seconds = annotate(ner, theirs_docs, EntityRecognizer.predict, EntityRecognizer.set_annotations, nlp.batch_size)
        best["spacy_loop_s"] = min(best["spacy_loop_s"], seconds)
        seconds = annotate(ner, our_docs, ours.predict, ours.set_annotations, nlp.batch_size)
        best["batched_s"] = min(best["batched_s"], seconds)
        attrs = [ENT_IOB, ENT_TYPE, ENT_KB_ID]
        same = same and all(
            numpy.array_equal(a.to_array(attrs), b.to_array(attrs)) for a, b in zip(theirs_docs, our_docs)
        )
    tokens = sum(len(doc) for doc in docs)
    print(
        json.dumps(
            {
                "docs": len(docs),
                "tokens": tokens,
                "entities": sum(len(doc.ents) for doc in our_docs),
                "identical": same,
                **{key: round(value, 3) for key, value in best.items()},
                "spacy_loop_us_per_token": round(1e6 * best["spacy_loop_s"] / tokens, 1),
                "batched_us_per_token": round(1e6 * best["batched_s"] / tokens, 1),
                "speedup": round(best["spacy_loop_s"] / best["batched_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
