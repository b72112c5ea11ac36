"""Benchmark `spacy-bert annotate`, in one run:

1. throughput: Ray with N workers against --local on the same corpus (the
   rows of both are compared);
2. peak memory of the runner (the command and every process it starts: Ray's
   GCS, raylet and workers), at two corpus sizes.

    python benchmarks/bench_annotate.py --model benchmarks/out/pipelines/tiny \\
        --corpus benchmarks/data/corpus-20000.parquet \\
        --memory-model benchmarks/out/pipelines/cheap \\
        --memory-corpora benchmarks/data/corpus-20000.parquet benchmarks/data/corpus-200000.parquet

Memory is the sum of PSS (proportional set size: shared pages such as Ray's
object store are split between the processes that map them, never counted
twice) over the process tree, sampled every 0.25 s. Every figure printed is
measured in this run; the JSON goes to benchmarks/out/results.json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent / "out"
CLI = [str(Path(sys.executable).parent / "spacy-bert")]


def _children() -> Dict[int, List[int]]:
    tree: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fileh:
                ppid = int(fileh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fileh:
            for line in fileh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mb(root: int) -> float:
    tree, todo, total = _children(), [root], 0
    while todo:
        pid = todo.pop()
        total += _pss_kb(pid)
        todo.extend(tree.get(pid, []))
    return total / 1024


def run_measured(args: List[str], log: Path, env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Run the command; RETURNS wall seconds, exit code, peak PSS (MB)."""
    started = time.monotonic()
    with log.open("w") as logh:
        run_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        proc = subprocess.Popen(args, stdout=logh, stderr=subprocess.STDOUT, env=run_env)
        peak = [0.0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_pss_mb(proc.pid))
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        sampler.join()
    return {"exit_code": code, "wall_s": round(time.monotonic() - started, 2), "peak_pss_mb": round(peak[0], 1)}


def annotate(
    corpus: Path, model: str, output: Path, extra: List[str], name: str, env: Optional[Dict[str, str]] = None
) -> Dict[str, Any]:
    shutil.rmtree(output, ignore_errors=True)
    args = CLI + ["annotate", str(corpus), "--model", model, "-o", str(output)] + extra
    result = run_measured(args, OUT / f"{name}.log", env)
    manifest = json.loads((output / "_manifest.json").read_text())
    timing = manifest.get("timing", {})
    result.update(
        name=name,
        load_average=os.getloadavg()[0],
        docs=manifest.get("rows", {}).get("out"),
        annotate_s=timing.get("annotate_seconds"),
        docs_per_s=timing.get("docs_per_second"),
        words_per_s=timing.get("tokens_per_second"),
        wall_docs_per_s=round(manifest["rows"]["out"] / result["wall_s"], 2) if manifest.get("rows") else None,
        # Process start-up and exit (imports, Python teardown): wall time
        # outside `annotate_corpus`.
        outside_runner_s=round(result["wall_s"] - timing.get("seconds", 0.0), 2),
    )
    print(json.dumps(result), flush=True)
    if result["exit_code"] not in (0, 1):
        raise SystemExit(f"{name} failed: see {OUT / (name + '.log')}")
    return result


def same_rows(a: Path, b: Path) -> Dict[str, Any]:
    ta = pq.read_table(a).sort_by("id").drop_columns(["source"])
    tb = pq.read_table(b).sort_by("id").drop_columns(["source"])
    exact = [c for c in ta.column_names if c != "sentiment"]
    equal = ta.num_rows == tb.num_rows and all(ta.column(c).equals(tb.column(c)) for c in exact)
    if "sentiment" in ta.column_names:
        la = [s["label"] if s else None for s in ta.column("sentiment").to_pylist()]
        lb = [s["label"] if s else None for s in tb.column("sentiment").to_pylist()]
        equal = equal and la == lb
    return {"rows": [ta.num_rows, tb.num_rows], "same_rows": bool(equal)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--memory-model", default=None)
    parser.add_argument("--memory-corpora", type=Path, nargs="*", default=[])
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--results", default="results.json", help="File name under benchmarks/out/.")
    parser.add_argument("--local-one-thread", action="store_true", help="Also run --local with OMP_NUM_THREADS=1.")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: Dict[str, Any] = {
        "machine": f"{os.cpu_count()} CPU cores",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        # The cores are shared: the load says how busy they were.
        "load_average_at_start": os.getloadavg(),
    }
    common = ["--batch-size", str(args.batch_size), "--workers", str(args.workers)]
    if not args.skip_throughput:
        local = annotate(args.corpus, args.model, OUT / "run-local", common + ["--local"], "throughput-local")
        ray = annotate(args.corpus, args.model, OUT / "run-ray", common, f"throughput-ray-{args.workers}")
        check = same_rows(OUT / "run-local", OUT / "run-ray")
        if args.local_one_thread:
            one = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            local1 = annotate(
                args.corpus, args.model, OUT / "run-local-1", common + ["--local"], "throughput-local-1thread", one
            )
            results["throughput_local_one_thread"] = dict(
                local1, same_rows=same_rows(OUT / "run-local-1", OUT / "run-ray")["same_rows"]
            )
        results["throughput"] = {
            "model": args.model,
            "corpus": str(args.corpus),
            "local": local,
            "ray": ray,
            "ray_vs_local_annotate": round(ray["docs_per_s"] / local["docs_per_s"], 3),
            "ray_vs_local_wall": round(ray["wall_docs_per_s"] / local["wall_docs_per_s"], 3),
            **check,
        }
        print(json.dumps(results["throughput"], indent=2), flush=True)
    memory: List[Dict[str, Any]] = []
    for mode in ("local", "ray"):
        for corpus in args.memory_corpora:
            extra = common + (["--local"] if mode == "local" else [])
            run = annotate(
                corpus, args.memory_model or args.model, OUT / f"mem-{mode}", extra, f"memory-{mode}-{corpus.stem}"
            )
            memory.append(dict(run, mode=mode, corpus=str(corpus), model=args.memory_model or args.model))
    if memory:
        results["memory"] = memory
        for mode in ("local", "ray"):
            peaks = [m["peak_pss_mb"] for m in memory if m["mode"] == mode]
            if len(peaks) >= 2:
                results[f"memory_ratio_{mode}"] = round(peaks[-1] / peaks[0], 3)
                print(f"peak memory {mode}: {peaks} MB, ratio {results[f'memory_ratio_{mode}']}", flush=True)
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["load_average_at_end"] = os.getloadavg()
    (OUT / args.results).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {OUT / args.results}")


if __name__ == "__main__":
    main()
