"""Words per second of a pipeline against the least encoder work its texts need.

For each corpus (long BBC News articles, the short demo documents) and each
thread count, one run measures over the same texts:

- `bare_encoder`: the encoder's forward pass alone over each text cut into
  windows of the pipeline's context (its wordpiece budget), no overlap,
  windows sorted by length and batched: the least encoder work that sees
  every wordpiece once. Tokenization is not timed.
- `encoder_stage`: the seconds the pipeline spends inside its encoder's
  forward calls (torch hooks on the same model), and the wordpiece positions
  those calls compute, padding included.
- `pipeline`: the whole `nlp.pipe`, as `spacy-bert annotate` runs it (loaded
  objects frozen out of the garbage collector's reach).

Ratios first: `pipeline_vs_bare` (the share of the bare encoder's words/s
the pipeline reaches), `encoder_stage_vs_bare`, and `on_top_of_encoder_pct`
(what spaCy, alignment, layer mixes and heads cost on top of the pipeline's
own encoder calls). Words are whitespace-separated words of the raw text.

    python benchmarks/throughput.py [--model PATH] [--precision fp32|bf16|int8] [--threads 1 2]
        [--bbc-dir DIR] [--bbc-docs 120] [--demo-repeat 20] [--gpu-id 0] [--output FILE]

The BBC folder is `News Articles/<category>/NNN.txt` of BBC News Summary
(`--bbc-dir`, or the environment variable SPACY_BERT_BBC_DIR); without it
only the demo corpus is measured.
"""

import argparse
import gc
import json
import os
import random
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BBC = REPO.parent / "shared" / "data" / "summarization" / "bbc_news"


def bbc_texts(folder: Path, n_docs: int, seed: int) -> List[str]:
    files = sorted((folder / "News Articles").glob("*/*.txt"))
    if not files:
        raise SystemExit(f"--bbc-dir {folder}: no 'News Articles/<category>/*.txt' files in it")
    random.Random(seed).shuffle(files)
    # Latin-1 reads every byte: one file is not UTF-8. (A UTF-8 pound sign
    # reads as two characters; the whitespace-separated words stay the same.)
    return [path.read_text(encoding="latin-1").strip() for path in files[:n_docs]]


def demo_texts(path: Path, repeat: int) -> List[str]:
    from spacy_bert_components.demo import read_jsonl_texts

    return [text for _, text in read_jsonl_texts(path)] * repeat


class Stopwatch:
    """Seconds and padded wordpiece positions in a torch module's forward calls."""

    def __init__(self, module: Any, sync: Callable[[], None]) -> None:
        self.seconds = 0.0
        self.positions = 0
        self.wordpieces = 0
        self._start = 0.0
        self._sync = sync
        self._handles = [
            module.register_forward_pre_hook(self._pre, with_kwargs=True),
            module.register_forward_hook(self._post),
        ]

    def _pre(self, module: Any, args: tuple, kwargs: dict) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        mask = kwargs.get("attention_mask")
        self.positions += int(ids.numel())
        self.wordpieces += int(mask.sum()) if mask is not None else int(ids.numel())
        self._sync()
        self._start = time.perf_counter()

    def _post(self, module: Any, args: tuple, output: Any) -> None:
        self._sync()
        self.seconds += time.perf_counter() - self._start

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def pipeline_context(nlp) -> int:
    """The pipeline's encoder context in wordpieces (special tokens included)."""
    get_spans = nlp.get_pipe("transformer").model.attrs["get_spans"]
    budget = getattr(get_spans, "max_wordpieces", None)
    if budget is None:
        raise SystemExit("The pipeline's span getter states no wordpiece budget: give --context")
    return int(budget)


def bare_windows(tokenizer, texts: List[str], context: int) -> List[List[int]]:
    """Each text's wordpieces cut into windows of `context` (specials included),
    no overlap, sorted by length."""
    body = context - 2
    windows = []
    for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]:
        for start in range(0, len(ids), body):
            windows.append([tokenizer.cls_token_id] + ids[start : start + body] + [tokenizer.sep_token_id])
    return sorted(windows, key=len)


def padded_batch(windows: List[List[int]]) -> Tuple[Any, Any]:
    """RETURNS (Tuple[Tensor, Tensor]): The windows' ids padded with 0
    ([PAD]) to the longest, and their attention mask."""
    import torch

    ids = torch.zeros((len(windows), max(len(w) for w in windows)), dtype=torch.long)
    for row, window in enumerate(windows):
        ids[row, : len(window)] = torch.tensor(window)
    return ids, (ids != 0).long()


def bare_encoder_seconds(model, windows: List[List[int]], batch_size: int, device: str, sync) -> float:
    import torch

    model.eval()
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(windows), batch_size):
            ids, mask = padded_batch(windows[i : i + batch_size])
            model(input_ids=ids.to(device), attention_mask=mask.to(device), output_hidden_states=True)
    sync()
    return time.perf_counter() - start


def pipeline_seconds(nlp, texts: List[str], batch_size: int, sync) -> Tuple[float, Stopwatch]:
    watch = Stopwatch(inference_module(nlp), sync)
    try:
        start = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=batch_size):
            pass
        sync()
        return time.perf_counter() - start, watch
    finally:
        watch.remove()


def measure(
    nlp, texts: List[str], context: int, threads: int, rounds: int, bare_batch: int, device: str
) -> Dict[str, Any]:
    import torch

    from spacy_bert_components.threads import set_compute_threads

    set_compute_threads(threads)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    encoder = nlp.get_pipe("transformer").model
    hf_model = inference_module(nlp)
    windows = bare_windows(encoder.tokenizer, texts, context)
    words = sum(len(text.split()) for text in texts)
    batch_size = nlp.batch_size
    # Warm-up: one small pass of each, then the fastest of `rounds`,
    # alternating, so that both see the same machine load.
    bare_encoder_seconds(hf_model, windows[-bare_batch:], bare_batch, device, sync)
    pipeline_seconds(nlp, texts[:batch_size], batch_size, sync)
    bare_s, full_s, stage = float("inf"), float("inf"), None
    for _ in range(rounds):
        bare_s = min(bare_s, bare_encoder_seconds(hf_model, windows, bare_batch, device, sync))
        seconds, watch = pipeline_seconds(nlp, texts, batch_size, sync)
        if seconds < full_s:
            full_s, stage = seconds, watch
    assert stage is not None
    return {
        "threads": threads,
        "docs": len(texts),
        "words": words,
        "pipeline_vs_bare": round(bare_s / full_s, 3),
        "encoder_stage_vs_bare": round(bare_s / stage.seconds, 3),
        "on_top_of_encoder_pct": round(100 * (full_s - stage.seconds) / stage.seconds, 1),
        "bare_encoder_words_per_s": round(words / bare_s, 1),
        "encoder_stage_words_per_s": round(words / stage.seconds, 1),
        "pipeline_words_per_s": round(words / full_s, 1),
        "bare_encoder_s": round(bare_s, 3),
        "encoder_stage_s": round(stage.seconds, 3),
        "pipeline_s": round(full_s, 3),
        "bare_wordpieces": sum(len(w) for w in windows),
        "encoder_stage_wordpieces": stage.wordpieces,
        "encoder_stage_positions": stage.positions,
    }


def inference_module(nlp) -> Any:
    """The torch module the pipeline encodes with (at its precision): the
    bare encoder runs the very same one."""
    from spacy_bert_components.encoder.model import inference_transformer

    return inference_transformer(nlp.get_pipe("transformer").model)


def main() -> None:
    from spacy_bert_components.info import DEMO_CORPUS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="pipeline path (default: the embedded default)")
    parser.add_argument(
        "--precision", choices=["fp32", "bf16", "int8"], default=None, help="override the encoder's precision setting"
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts, each measured")
    parser.add_argument("--bbc-dir", type=Path, default=Path(os.environ.get("SPACY_BERT_BBC_DIR", DEFAULT_BBC)))
    parser.add_argument("--bbc-docs", type=int, default=120, help="BBC articles, a seeded sample")
    parser.add_argument("--demo-corpus", type=Path, default=DEMO_CORPUS)
    parser.add_argument("--demo-repeat", type=int, default=20, help="times the 12 demo documents are repeated")
    parser.add_argument(
        "--context", type=int, default=0, help="bare encoder window in wordpieces (default: the pipeline's budget)"
    )
    # 16 windows of 256 ran faster than 8, 32 or 64 on the project's CPU at
    # one thread, in fp32 and bf16: the fastest is the reference.
    parser.add_argument("--bare-batch", type=int, default=16, help="windows per bare encoder batch")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the fastest of each is kept")
    parser.add_argument(
        "--max-batch-items",
        type=int,
        default=0,
        help="override the transformer's max_batch_items (doc tokens per encoder call)",
    )
    parser.add_argument("--gpu-id", type=int, default=-1, help="run on this CUDA device (needs spaCy's cupy extra)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()

    from spacy_bert_components.encoder.model import encoder_precision
    from spacy_bert_components.pipeline import freeze_loaded_objects, load

    device = "cpu"
    if args.gpu_id >= 0:
        from spacy_bert_components.errors import GPUUnavailableError
        from spacy_bert_components.gpu import require_gpu

        try:
            device = require_gpu(args.gpu_id)
        except GPUUnavailableError as err:
            raise SystemExit(f"--gpu-id {args.gpu_id}: {err}") from None
    overrides: Dict[str, Any] = {}
    if args.precision:
        overrides["components.transformer.model.precision"] = args.precision
    if args.max_batch_items:
        overrides["components.transformer.max_batch_items"] = args.max_batch_items
    nlp = load(args.model or None, config=overrides)
    precision = encoder_precision(nlp.get_pipe("transformer").model)
    context = args.context or pipeline_context(nlp)
    corpora: Dict[str, List[str]] = {}
    if args.bbc_dir.is_dir():
        corpora["bbc"] = bbc_texts(args.bbc_dir, args.bbc_docs, args.seed)
    else:
        print(f"No BBC folder at {args.bbc_dir} (--bbc-dir): the demo corpus only")
    corpora["demo"] = demo_texts(args.demo_corpus, args.demo_repeat)
    freeze_loaded_objects()
    result: Dict[str, Any] = {
        "pipeline": ",".join(nlp.pipe_names),
        "model": args.model or "default",
        "precision": precision,
        "device": device,
        "context_wordpieces": context,
        "batch_size": nlp.batch_size,
        "runs": [],
    }
    for name, texts in corpora.items():
        for threads in args.threads:
            row = {"corpus": name, **measure(nlp, texts, context, threads, args.rounds, args.bare_batch, device)}
            print(json.dumps(row))
            result["runs"].append(row)
    gc.unfreeze()
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
