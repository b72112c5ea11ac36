"""The bare encoder in each CPU inference mode: words/s and fidelity to fp32.

Modes: fp32; bf16 autocast (weights fp32, matrix products in bf16); bf16
weights (a bfloat16 copy of the model: what `precision = "bf16"` runs); int8
(PyTorch's dynamic quantization of the linear layers). Over the same BBC
articles cut into windows of `--context` wordpieces, sorted by length,
batched 32 at a time, every hidden state returned (as the layer-mixing
listeners need); fidelity is the mean cosine between each mode's hidden
states and fp32's, per layer, over every real wordpiece.

    python benchmarks/precision_modes.py [--bbc-dir DIR] [--docs 120] [--context 256] [--threads 1]
"""

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import DEFAULT_BBC, bare_windows, bbc_texts, padded_batch  # noqa: E402

MODES = ("fp32", "bf16_autocast", "bf16_weights", "int8_dynamic")


def batches(windows: List[List[int]], size: int = 32) -> List[Any]:
    return [padded_batch(windows[i : i + size]) for i in range(0, len(windows), size)]


def run(model: Any, data: List[Any], context: Callable[[], Any], keep: bool = False) -> List[Any]:
    """RETURNS (List[Any]): Each batch's hidden states as float32 if `keep`
    (for the fidelity figures; the timed passes keep nothing)."""
    import torch

    states = []
    with torch.inference_mode(), context():
        for ids, mask in data:
            out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            if keep:
                states.append([h.float() for h in out.hidden_states])
    return states


def fidelity(reference: List[Any], found: List[Any], data: List[Any]) -> List[float]:
    import torch

    per_layer = []
    for layer in range(len(reference[0])):
        cosines = []
        for ref, got, (_, mask) in zip(reference, found, data):
            real = mask.bool()
            cosines.append(torch.nn.functional.cosine_similarity(ref[layer][real], got[layer][real], dim=-1))
        per_layer.append(round(float(torch.cat(cosines).mean()), 5))
    return per_layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bbc-dir", type=Path, default=Path(os.environ.get("SPACY_BERT_BBC_DIR", DEFAULT_BBC)))
    parser.add_argument("--docs", type=int, default=120)
    parser.add_argument("--context", type=int, default=256, help="window in wordpieces, specials included")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, help="default: all, the bf16 ones only where the CPU has native bf16"
    )
    args = parser.parse_args()
    import copy

    import torch
    from transformers import AutoModel, AutoTokenizer

    from spacy_bert_components.encoder.precision import native_bf16
    from spacy_bert_components.encoder.resolve import default_encoder_path
    from spacy_bert_components.threads import set_compute_threads

    set_compute_threads(args.threads)
    path = str(default_encoder_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    fp32 = AutoModel.from_pretrained(path).eval()
    texts = bbc_texts(args.bbc_dir, args.docs, 0)
    words = sum(len(text.split()) for text in texts)
    data = batches(bare_windows(tokenizer, texts, args.context))
    plain = contextlib.nullcontext
    makers: Dict[str, Callable[[], Any]] = {
        "fp32": lambda: (fp32, plain),
        "bf16_autocast": lambda: (fp32, lambda: torch.autocast("cpu", dtype=torch.bfloat16)),
        "bf16_weights": lambda: (copy.deepcopy(fp32).to(torch.bfloat16), plain),
        "int8_dynamic": lambda: (
            torch.ao.quantization.quantize_dynamic(copy.deepcopy(fp32), {torch.nn.Linear}, dtype=torch.qint8),
            plain,
        ),
    }
    names = args.modes or [name for name in MODES if native_bf16("cpu") or not name.startswith("bf16")]
    if "fp32" not in names:
        names.insert(0, "fp32")  # the reference of every ratio
    if len(names) < len(MODES) and not args.modes:
        print("No native bf16 on this CPU: the bf16 modes are left out (name them in --modes to run them emulated)")
    modes = {name: makers[name]() for name in names}
    reference = run(fp32, data, plain, keep=True)
    result: Dict[str, Any] = {
        "docs": len(texts),
        "words": words,
        "context": args.context,
        "threads": args.threads,
        "native_bf16": native_bf16("cpu"),
        "modes": {},
    }
    for name, (model, context) in modes.items():
        run(model, data[:2], context)  # warm up
        best = float("inf")
        for _ in range(args.rounds):
            start = time.perf_counter()
            run(model, data, context)
            best = min(best, time.perf_counter() - start)
        result["modes"][name] = {
            "words_per_s": round(words / best, 1),
            "mean_cosine_to_fp32_per_layer": fidelity(reference, run(model, data, context, keep=True), data),
        }
        print(name, json.dumps(result["modes"][name]))
    fp32_speed = result["modes"]["fp32"]["words_per_s"]
    for mode in result["modes"].values():
        mode["speed_vs_fp32"] = round(mode["words_per_s"] / fp32_speed, 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
