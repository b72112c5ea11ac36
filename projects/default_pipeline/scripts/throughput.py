"""Throughput of a pipeline against its encoder's bare forward pass.

Both come from the same run, over the same texts and the same batches: torch
forward hooks on the Hugging Face model time every forward call the
pipeline's transformer makes (the very wordpiece batches it builds), and the
whole `nlp.pipe` is timed around them. What is left is what spaCy, the
wordpiece alignment, the layer mixes and the task heads cost on top of the
encoder.

Measured twice: as `spacy-bert annotate` runs the pipeline (its workers call
`freeze_loaded_objects()` after loading, so the garbage collector stops
rescanning the ~400k loaded objects), and with Python's default collector,
as a plain `nlp.pipe` in a fresh process does.

    python scripts/throughput.py [--model PATH] [--corpus corpus/demo.jsonl] [--repeat 20] [--batch-size N]
"""
import argparse
import gc
import json
import time
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[3]


def timed_pipe(nlp, texts: List[str], batch_size: int) -> Tuple[float, float]:
    """RETURNS (Tuple[float, float]): seconds in `nlp.pipe` and, of those,
    seconds inside the encoder's forward calls."""
    model = nlp.get_pipe("transformer").model.transformer
    state = {"start": 0.0, "encoder": 0.0}

    def pre_hook(module, args, kwargs=None):
        state["start"] = time.perf_counter()

    def post_hook(module, args, output):
        state["encoder"] += time.perf_counter() - state["start"]

    handles = [model.register_forward_pre_hook(pre_hook), model.register_forward_hook(post_hook)]
    try:
        start = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=batch_size):
            pass
        total = time.perf_counter() - start
    finally:
        for handle in handles:
            handle.remove()
    return total, state["encoder"]


def measure(model: str, corpus: Path, repeat: int, batch_size: int, rounds: int) -> Dict[str, float]:
    import torch

    from spacy_bert_components.demo import read_jsonl_texts
    from spacy_bert_components.pipeline import freeze_loaded_objects, load

    nlp = load(model or None)
    batch_size = batch_size or nlp.batch_size
    texts = [text for _, text in read_jsonl_texts(corpus)] * repeat
    n_words = sum(len(nlp.make_doc(t)) for t in texts)
    timed_pipe(nlp, texts[:16], batch_size)  # warm up
    # Several rounds; keep the one with the least total time (least noise).
    default_full_s, default_bare_s = min(timed_pipe(nlp, texts, batch_size) for _ in range(rounds))
    freeze_loaded_objects()
    full_s, bare_s = min(timed_pipe(nlp, texts, batch_size) for _ in range(rounds))
    gc.unfreeze()
    return {
        "pipeline": ",".join(nlp.pipe_names),
        "docs": len(texts),
        "words": n_words,
        "batch_size": batch_size,
        "torch_threads": torch.get_num_threads(),
        "encoder_forward_s": round(bare_s, 3),
        "pipeline_s": round(full_s, 3),
        "encoder_words_per_s": round(n_words / bare_s, 1),
        "pipeline_words_per_s": round(n_words / full_s, 1),
        "overhead_pct": round(100 * (full_s - bare_s) / bare_s, 1),
        "default_gc": {
            "encoder_forward_s": round(default_bare_s, 3),
            "pipeline_s": round(default_full_s, 3),
            "overhead_pct": round(100 * (default_full_s - default_bare_s) / default_bare_s, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="pipeline path (default: the embedded default)")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus" / "demo.jsonl")
    parser.add_argument("--repeat", type=int, default=20, help="times the corpus is repeated")
    parser.add_argument("--batch-size", type=int, default=0, help="docs per batch (default: the pipeline's nlp.batch_size)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the batch runner's workers use 1 per reserved CPU)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the fastest is kept")
    parser.add_argument("--output", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    result = measure(args.model, args.corpus, args.repeat, args.batch_size, args.rounds)
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
