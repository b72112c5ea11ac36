"""The encoder's windows and their wordpieces: cut out of the docs'
tokenization against tokenizing each window's text again.

Over the same sentence-split docs (BBC articles), in the batches of 32 the
pipeline encodes: `SentenceWindows.windows_and_encoding` (the docs tokenized
once, to pack their sentences and for the windows' wordpieces) against the
windows alone followed by `predict.tokenize` of each window's text. Prints
the fastest of `--rounds` for each, and whether the two encodings are equal
in every batch (batches where a window's edge splits a word, which fall back
to tokenizing the windows, are counted).

    python benchmarks/window_tokenization.py [--model PATH] [--bbc-dir DIR] [--bbc-docs 120] [--rounds 3]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import DEFAULT_BBC, bbc_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="pipeline path (default: the embedded default)")
    parser.add_argument("--bbc-dir", type=Path, default=Path(os.environ.get("SPACY_BERT_BBC_DIR", DEFAULT_BBC)))
    parser.add_argument("--bbc-docs", type=int, default=120)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import numpy

    from spacy_bert_components.encoder.predict import bind_span_tokenizer, tokenize
    from spacy_bert_components.encoder.windows import SentenceWindows
    from spacy_bert_components.pipeline import load
    from spacy_bert_components.threads import set_compute_threads

    set_compute_threads(1)
    nlp = load(args.model or None)
    texts = bbc_texts(args.bbc_dir, args.bbc_docs, 0)
    before = nlp.pipe_names[: nlp.pipe_names.index("transformer")]  # sentence boundaries
    docs = list(nlp.pipe(texts, disable=[name for name in nlp.pipe_names if name not in before]))
    model = nlp.get_pipe("transformer").model
    bind_span_tokenizer(model)
    get_spans = model.attrs["get_spans"]
    if not isinstance(get_spans, SentenceWindows):
        raise SystemExit(f"{args.model or 'the default pipeline'}: its span getter is not sentence_windows")
    batches = [docs[i : i + args.batch_size] for i in range(0, len(docs), args.batch_size)]
    equal, fallback = True, 0
    for batch in batches:
        windows, encoding = get_spans.windows_and_encoding(batch)
        if encoding is None:
            fallback += 1
            continue
        expected = tokenize(model.tokenizer, [span.text for doc_windows in windows for span in doc_windows])
        equal &= encoding["input_texts"] == expected["input_texts"] and all(
            numpy.array_equal(encoding[key], expected[key]) for key in ("input_ids", "attention_mask", "offset_mapping")
        )
    cut, again = float("inf"), float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        for batch in batches:
            get_spans.windows_and_encoding(batch)
        cut = min(cut, time.perf_counter() - start)
        start = time.perf_counter()
        for batch in batches:
            windows = get_spans(batch)
            tokenize(model.tokenizer, [span.text for doc_windows in windows for span in doc_windows])
        again = min(again, time.perf_counter() - start)
    result = {
        "docs": len(docs),
        "batches": len(batches),
        "batches_tokenized_again": fallback,
        "encodings_equal": bool(equal),
        "cut_from_docs_s": round(cut, 3),
        "tokenized_again_s": round(again, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
