"""Memory and core use of `spacy-bert annotate`, each figure measured here.

    python benchmarks/runner_memory.py blocks [--docs 1000] [--threads 2]
    python benchmarks/runner_memory.py soak [--texts 50000] [--rows-per-file 1000]
    python benchmarks/runner_memory.py cores [--docs 1000] [--model default|accurate|PATH]

blocks: one corpus of BBC news articles (`--bbc-dir`, a seeded sample) run
    with `--local` at `--rows-per-file 1000` and `100`: peak RSS of each
    (`/usr/bin/time -v`), and their ratio. Peak memory should follow the batch,
    not the block.
soak: `--texts` distinct short texts (BBC sentences of 8+ words, each tagged
    with a made-up reference word, as real corpora keep bringing new strings)
    through `spacy-bert annotate --local`; the process's RSS is sampled every
    second and read at each written block. Prints RSS after the first 5,000
    texts and after the last block, words/s in the first and last tenth of
    the blocks (from the blocks' write times and token counts) and of each
    tenth, and each tenth's words per CPU second of the process, its kernel
    share of that CPU time, its page faults per 1,000 words and the
    machine's steal time.
cores: the default command (a pool of one process of one thread per CPU)
    and Ray (`--address local`, a worker per CPU) against one core (`--local
    --threads 1`), words/s of each from the runs' manifests (the annotation
    time, the workers' start included; Ray's own start is not).

Inputs are written under benchmarks/out/runner/ (not committed).
"""

import argparse
import json
import os
import random
import re
import shutil
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import DEFAULT_BBC, bbc_texts  # noqa: E402

OUT = Path(__file__).resolve().parent / "out" / "runner"
CLI = str(Path(sys.executable).parent / "spacy-bert")


def news_corpus(bbc_dir: Path, docs: int) -> Path:
    path = OUT / f"news-{docs}.parquet"
    if not path.exists():
        texts = bbc_texts(bbc_dir, docs, 0)
        pq.write_table(pa.table({"id": [f"news-{i}" for i in range(len(texts))], "text": texts}), path)
    return path


def soak_corpus(bbc_dir: Path, n_texts: int) -> Path:
    path = OUT / f"soak-{n_texts}.parquet"
    if path.exists():
        return path
    sentences = []
    for text in bbc_texts(bbc_dir, 10_000, 0):
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if len(sentence.split()) >= 8:
                sentences.append(sentence)
    rng = random.Random(0)
    seen = set()
    texts = []
    for i in range(n_texts):
        word = ""
        while not word or word in seen:
            word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(7, 10))).capitalize()
        seen.add(word)
        texts.append(f"{sentences[i % len(sentences)]} (ref {word})")
    pq.write_table(pa.table({"id": [f"soak-{i}" for i in range(n_texts)], "text": texts}), path, row_group_size=1000)
    return path


# (time, RSS bytes, CPU seconds of the process, its system CPU seconds, its
# minor page faults, the machine's steal seconds)
Sample = Tuple[float, int, float, float, int, float]


def run(args: List[str], *, sample_rss: bool = False) -> Tuple[Dict, float, List[Sample]]:
    """RETURNS: the run's manifest, its peak RSS in GB (`/usr/bin/time -v`)
    and, with sample_rss, a `Sample` of the annotating process every second."""
    output = Path(args[args.index("--output") + 1])
    shutil.rmtree(output, ignore_errors=True)
    log = output.with_suffix(".time.log")
    proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", str(log), CLI, "annotate", *args], stderr=subprocess.DEVNULL)
    samples: List[Sample] = []
    if sample_rss:
        child = _child_pid(proc.pid)
        while proc.poll() is None:
            rss = _rss(child) if child else None
            stat = _cpu_and_faults(child) if child else None
            if rss is not None and stat is not None:
                samples.append((time.time(), rss, *stat, _steal_seconds()))
            time.sleep(1)
    proc.wait()
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log.read_text()).group(1))
    manifest = json.loads((output / "_manifest.json").read_text())
    return manifest, peak_kb / 1e6, samples


def _child_pid(pid: int) -> Optional[int]:
    for _ in range(50):
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        if children:
            return int(children[0])
        time.sleep(0.1)
    return None


def _rss(pid: int) -> Optional[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cpu_and_faults(pid: int) -> Optional[Tuple[float, float, int]]:
    """RETURNS: user + system CPU seconds of the process (all its threads),
    its system CPU seconds and its minor page faults."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, int(fields[12]) / tick, int(fields[7])


def _steal_seconds() -> float:
    """RETURNS: CPU seconds the hypervisor gave to others, all CPUs (0 on bare metal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def blocks(args: argparse.Namespace) -> None:
    corpus = news_corpus(args.bbc_dir, args.docs)
    peaks = {}
    for rows in (1000, 100):
        out = OUT / f"blocks-{rows}"
        manifest, peak, _ = run(
            [str(corpus), "--output", str(out), "--local", "--threads", str(args.threads), "--rows-per-file", str(rows)]
        )
        peaks[rows] = peak
        timing = manifest["timing"]
        print(f"--rows-per-file {rows}: peak RSS {peak:.2f} GB, {timing['tokens_per_second']:,.0f} words/s")
    print(f"ratio 1000 / 100: {peaks[1000] / peaks[100]:.3f}")


def soak(args: argparse.Namespace) -> None:
    if args.texts <= 5000:
        raise SystemExit("soak: --texts must be over 5,000 (RSS is read after the first 5,000)")
    corpus = soak_corpus(args.bbc_dir, args.texts)
    out = OUT / "soak"
    manifest, peak, samples = run(
        [str(corpus), "--output", str(out), "--local", "--rows-per-file", str(args.rows_per_file)], sample_rss=True
    )
    written = []
    for path in sorted(out.glob("part-*.parquet")):
        table = pq.read_table(path, columns=["n_tokens"])
        written.append(
            (path.stat().st_mtime, table.num_rows, sum(n or 0 for n in table.column("n_tokens").to_pylist()))
        )
    written.sort()

    def sample_at(moment: float) -> Sample:
        before = [sample for sample in samples if sample[0] <= moment]
        return before[-1] if before else samples[0]

    def rss_at(moment: float) -> int:
        return sample_at(moment)[1]

    texts_done, first_5k = 0, None
    for moment, rows, _ in written:
        texts_done += rows
        if first_5k is None and texts_done >= 5000:
            first_5k = rss_at(moment)
    last = rss_at(written[-1][0])

    def words_per_second(part: List[Tuple[float, int, int]], start: float) -> float:
        return sum(tokens for _, _, tokens in part) / (part[-1][0] - start)

    # Each block's words/s runs from the previous block's write: the first
    # block (the pipeline's load) is left out. Words per CPU second (the
    # process's user + system time, sampled every second) tell a stretch that
    # waited from one whose words took more CPU time.
    blocks_after_first = len(written) - 1
    bounds = [1 + round(i * blocks_after_first / 10) for i in range(11)]
    parts = [(start, end) for start, end in zip(bounds, bounds[1:]) if end > start]
    tenths = [words_per_second(written[start:end], written[start - 1][0]) for start, end in parts]
    # Per tenth: the change of each sampled counter, and its words.
    deltas = [
        [b - a for a, b in zip(sample_at(written[start - 1][0]), sample_at(written[end - 1][0]))]
        for start, end in parts
    ]
    words = [sum(tokens for _, _, tokens in written[start:end]) for start, end in parts]
    per_cpu = [n / d[2] for n, d in zip(words, deltas)]
    first, final = tenths[0], tenths[-1]
    print(f"{args.texts} texts, {len(written)} blocks, {manifest['timing']['tokens_per_second']:,.0f} words/s overall")
    print(
        f"RSS after the first 5,000 texts {first_5k / 1e9:.3f} GB, after the last block {last / 1e9:.3f} GB: "
        f"{last / first_5k:.3f}x; peak {peak:.3f} GB"
    )
    print(f"words/s, first tenth of the blocks {first:,.0f}, last tenth {final:,.0f}: {final / first:.3f}x")
    print("words/s of each tenth:", ", ".join(f"{w:,.0f}" for w in tenths))
    print(
        "words per CPU second of each tenth:",
        ", ".join(f"{w:,.0f}" for w in per_cpu),
        f"(last / first {per_cpu[-1] / per_cpu[0]:.3f}x)",
    )
    print("system share of the process's CPU time:", ", ".join(f"{d[3] / d[2]:.1%}" for d in deltas))
    print("minor page faults per 1,000 words:", ", ".join(f"{1000 * d[4] / n:,.0f}" for n, d in zip(words, deltas)))
    print("steal time of the machine, % of one CPU:", ", ".join(f"{100 * d[5] / d[0]:.1f}" for d in deltas))
    print(
        "RSS samples (s, GB):",
        ", ".join(f"{s[0] - samples[0][0]:.0f}:{s[1] / 1e9:.2f}" for s in samples[:: max(1, len(samples) // 15)]),
    )


def cores(args: argparse.Namespace) -> None:
    corpus = news_corpus(args.bbc_dir, args.docs)
    runs = {
        "one core, --local --threads 1": ["--local", "--threads", "1"],
        "default (a pool of processes)": [],
        "Ray, --address local": ["--address", "local"],
    }
    figures = {}
    for i, (name, extra) in enumerate(runs.items()):
        manifest, peak, _ = run([str(corpus), "--output", str(OUT / f"cores-{i}"), "--model", args.model, *extra])
        figures[name] = manifest["timing"]["tokens_per_second"]
        runner = manifest["runner"]
        print(
            f"{name}: {runner['mode']}, {runner['workers']} worker(s): {figures[name]:,.0f} words/s, "
            f"peak RSS of the command {peak:.2f} GB"
        )
    one, default, ray = figures.values()
    print(f"CPUs: {os.cpu_count()}; against one core: default {default / one:.2f}x, Ray {ray / one:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["blocks", "soak", "cores"])
    parser.add_argument("--bbc-dir", type=Path, default=Path(os.environ.get("SPACY_BERT_BBC_DIR", DEFAULT_BBC)))
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--texts", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows-per-file", type=int, default=1000)
    parser.add_argument("--model", default="default", help="cores: the pipeline (default, accurate or a path)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    {"blocks": blocks, "soak": soak, "cores": cores}[args.what](args)


if __name__ == "__main__":
    main()
