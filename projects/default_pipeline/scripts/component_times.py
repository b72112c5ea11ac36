"""Where a pipeline's time goes, component by component, against its encoder.

Default: the demo corpus (x20; `--bbc-dir`: 120 BBC articles, the benchmark's sample) runs through each pipe in turn, batch by batch,
and each pipe's seconds are printed as a share of the encoder's forward time
(torch hooks, as in throughput.py; the transformer's own share is what it
spends around the forward pass: wordpiece tokenization, alignment).

`--compare LABEL=PIPELINE:COMPONENT ...`: task components from several
pipelines timed on the same encoded docs (the default pipeline's encoder
output), interleaved round by round, fastest of 7 rounds each; the way head
variants were compared before choosing one.

    python scripts/component_times.py [--repeat 20] [--batch-size 32] [--bbc-dir DIR] [--precision fp32|bf16]
    python scripts/component_times.py --repeat 10 --compare light=default:srl new=../srl_up_english/training/light/model-best:srl
"""

import argparse
import json
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[3]


def stage_times(nlp, texts: List[str], batch_size: int) -> Dict[str, float]:
    from spacy.util import minibatch

    from spacy_bert_components.encoder.model import inference_transformer

    model = inference_transformer(nlp.get_pipe("transformer").model)
    state = {"start": 0.0, "encoder": 0.0}
    model.register_forward_pre_hook(lambda m, a: state.__setitem__("start", time.perf_counter()))
    model.register_forward_hook(
        lambda m, a, o: state.__setitem__("encoder", state["encoder"] + time.perf_counter() - state["start"])
    )
    times = {"make_doc": 0.0, **{name: 0.0 for name in nlp.pipe_names}}
    for batch in minibatch(texts, batch_size):
        start = time.perf_counter()
        docs = [nlp.make_doc(text) for text in batch]
        times["make_doc"] += time.perf_counter() - start
        for name, proc in nlp.pipeline:
            start = time.perf_counter()
            docs = list(proc.pipe(docs, batch_size=batch_size))
            times[name] += time.perf_counter() - start
    times["transformer"] -= state["encoder"]
    encoder = state["encoder"]
    result = {"encoder_forward_s": round(encoder, 3)}
    result.update({f"{name}_pct": round(100 * seconds / encoder, 1) for name, seconds in times.items()})
    result["total_pct"] = round(100 * sum(times.values()) / encoder, 1)
    return result


def compare(base, texts: List[str], batch_size: int, specs: List[str]) -> Dict[str, float]:
    import spacy
    from spacy.util import minibatch

    from spacy_bert_components.torch_gemm import use_torch_gemm

    heads = [name for name in base.pipe_names if name not in ("sentencizer", "transformer")]
    docs = list(base.pipe(texts, disable=heads, batch_size=batch_size))
    components = {}
    for spec in specs:
        label, rest = spec.split("=", 1)
        path, name = rest.rsplit(":", 1)
        nlp = base if path == "default" else spacy.load(path)
        component = nlp.get_pipe(name)
        use_torch_gemm(component.model)  # as the components' factories do
        components[label] = component
    best = {label: float("inf") for label in components}
    for _ in range(7):
        for label, component in components.items():
            start = time.perf_counter()
            for batch in minibatch(docs, batch_size):
                list(component.pipe(batch))
            best[label] = min(best[label], time.perf_counter() - start)
    return {"words": sum(len(doc) for doc in docs), **{f"{label}_s": round(s, 4) for label, s in best.items()}}


def main() -> None:
    from spacy_bert_components.info import DEMO_CORPUS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="pipeline path (default: the embedded default)")
    parser.add_argument("--corpus", type=Path, default=DEMO_CORPUS)
    parser.add_argument(
        "--bbc-dir", type=Path, default=None, help="BBC News Summary folder: time its articles instead of --corpus"
    )
    parser.add_argument("--bbc-docs", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=20, help="times the corpus is repeated")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--precision", choices=["fp32", "bf16"], default=None, help="override the encoder's precision setting"
    )
    parser.add_argument(
        "--compare",
        nargs="+",
        default=None,
        metavar="LABEL=PIPELINE:COMPONENT",
        help="'default' names the embedded pipeline",
    )
    args = parser.parse_args()
    import sys

    from spacy_bert_components.demo import read_jsonl_texts
    from spacy_bert_components.pipeline import freeze_loaded_objects, load
    from spacy_bert_components.threads import set_compute_threads

    set_compute_threads(1)
    overrides = {"components.transformer.model.precision": args.precision} if args.precision else {}
    nlp = load(args.model or None, config=overrides)
    if args.bbc_dir:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from throughput import bbc_texts  # the benchmark's seeded sample

        texts = bbc_texts(args.bbc_dir, args.bbc_docs, 0)
    else:
        texts = [text for _, text in read_jsonl_texts(args.corpus)] * args.repeat
    list(nlp.pipe(texts[:32]))  # warm up
    freeze_loaded_objects()  # as the batch runner's workers
    if args.compare:
        result = compare(nlp, texts, args.batch_size, args.compare)
    else:
        result = stage_times(nlp, texts, args.batch_size)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
