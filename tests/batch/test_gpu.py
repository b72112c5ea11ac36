"""The GPU path without a GPU: `gpu_problem` names what is missing (each
branch forced by monkeypatching torch and cupy); a run on this machine
refuses before it writes anything; on a Ray of two logical GPUs the cluster
is checked first, the annotators hold the GPUs asked for, and a worker
without CUDA fails in one line."""

import json
import sys
import types

import pytest
import torch
from click.testing import CliRunner

from spacy_bert_components.batch.execute import gpu_workers
from spacy_bert_components.batch.progress import Progress
from spacy_bert_components.batch.ray_runner import Annotator, worker_gpu_problem
from spacy_bert_components.batch.runner import RunSettings, annotate_corpus
from spacy_bert_components.cli.main import cli
from spacy_bert_components.errors import GPUUnavailableError, UsageError
from spacy_bert_components.gpu import gpu_problem, require_gpu
from spacy_bert_components.ray_session import quiet_ray_environment

from .conftest import make_texts, write_jsonl

OBJECT_STORE = 80 * 1024 * 1024
# Ray clusters are started one at a time: on one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("ray")


def fake_cupy(device_count=None, error=None) -> types.ModuleType:
    """A stand-in for cupy: `cuda.runtime.getDeviceCount` returns
    `device_count` or raises `error`."""

    def get_device_count():
        if error is not None:
            raise error
        return device_count

    module = types.ModuleType("cupy")
    module.__version__ = "12.3.0"
    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return module


@pytest.fixture
def cuda(monkeypatch):
    """Make torch report CUDA `version` with `count` devices (0: none), and
    cupy be `cupy` (None: not importable)."""

    def set_cuda(*, version="12.4", count=1, cupy=None):
        monkeypatch.setattr(torch.version, "cuda", version)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
        monkeypatch.setitem(sys.modules, "cupy", cupy)

    return set_cuda


@pytest.mark.parametrize(
    "setting,gpu_id,expected",
    [
        ({"version": None, "count": 0}, 0, ["is built without CUDA", "pytorch.org", "--gpus-per-worker"]),
        ({"version": "12.4", "count": 0}, 0, ["(CUDA 12.4) finds no CUDA device", "nvidia-smi"]),
        ({"count": 1}, 1, ["no CUDA device 1: torch sees 1 (0..0)", "CUDA_VISIBLE_DEVICES"]),
        (
            {"count": 2},
            0,
            [
                "needs cupy, which cannot be imported",
                'pip install "spacy-bert-components[cuda12x]"',
                '"spacy[cuda12x]"',
            ],
        ),
        ({"version": "11.8", "count": 1}, 0, ['"spacy-bert-components[cuda11x]"']),
        (
            {"count": 1, "cupy": fake_cupy(error=RuntimeError("\n=====\ncudaErrorInsufficientDriver\nmore advice"))},
            0,
            ["cupy 12.3.0 cannot reach the GPU (RuntimeError: cudaErrorInsufficientDriver)", "CUDA 12.4", "[cuda12x]"],
        ),
    ],
)
def test_gpu_problem_names_what_is_missing(cuda, setting, gpu_id, expected):
    cuda(**setting)
    problem = gpu_problem(gpu_id)
    assert problem is not None and "\n" not in problem
    for part in expected:
        assert part in problem


def test_no_problem_on_a_usable_gpu_and_on_the_cpu(cuda):
    cuda(count=2, cupy=fake_cupy(device_count=2))
    assert gpu_problem(0) is None and gpu_problem(1) is None
    assert "no CUDA device 2" in gpu_problem(2)
    cuda(version=None, count=0)
    assert gpu_problem(-1) is None
    assert "is not a device" in gpu_problem(-2)


def test_require_gpu(cuda, monkeypatch):
    import spacy

    calls = []

    def spacy_require_gpu(gpu_id=0):
        calls.append(gpu_id)
        return True

    monkeypatch.setattr(spacy, "require_gpu", spacy_require_gpu)
    cuda(version=None, count=0)
    assert require_gpu(-1) == "cpu"
    with pytest.raises(GPUUnavailableError, match="built without CUDA"):
        require_gpu(0)
    assert calls == []
    cuda(count=2, cupy=fake_cupy(device_count=2))
    assert require_gpu(1) == "cuda:1" and calls == [1]

    def thinc_refuses(gpu_id=0):
        raise ValueError("Cannot use GPU, CuPy is not installed")

    monkeypatch.setattr(spacy, "require_gpu", thinc_refuses)
    with pytest.raises(GPUUnavailableError, match="^spaCy cannot use CUDA device 0: ValueError: Cannot use GPU"):
        require_gpu(0)


@pytest.mark.parametrize("mode", [["--local"], []], ids=["local", "local-ray"])
def test_cli_on_a_machine_without_a_gpu_writes_nothing(cuda, tmp_path, tiny_pipeline, monkeypatch, mode):
    """--local, and a local Ray this run would start: this machine is checked
    first, so the run fails before Ray starts or the output folder exists."""
    import ray

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert not ray.is_initialized()
    cuda(version=None, count=0)
    write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in make_texts(4)])
    out = tmp_path / "out"
    args = [
        "annotate",
        *mode,
        "--gpus-per-worker",
        "1",
        "--model",
        tiny_pipeline,
        "-o",
        str(out),
        str(tmp_path / "in.jsonl"),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert (
        lines[0].startswith("Error: --gpus-per-worker 1 on this machine: torch ")
        and "is built without CUDA" in lines[0]
    )
    assert not out.exists() and not ray.is_initialized()


def test_gpu_workers_fit_the_cluster():
    with pytest.raises(UsageError, match=r"^--gpus-per-worker 1: the Ray cluster has 0 GPU\(s\)"):
        gpu_workers(1, 0, requested=None, cpu_workers=8)
    with pytest.raises(UsageError, match=r"--gpus-per-worker 2: the Ray cluster has 1 GPU"):
        gpu_workers(2, 1, requested=None, cpu_workers=8)
    assert gpu_workers(1, 2, requested=None, cpu_workers=16) == 2  # not one per CPU
    assert gpu_workers(0.5, 2, requested=None, cpu_workers=16) == 4
    assert gpu_workers(0.1, 1, requested=None, cpu_workers=16) == 10
    assert gpu_workers(0.5, 4, requested=None, cpu_workers=3) == 3
    assert gpu_workers(1, 2, requested=1, cpu_workers=16) == 1
    with pytest.raises(UsageError, match=r"^--workers 3 x --gpus-per-worker 1 needs 3 GPUs; the Ray cluster has 2"):
        gpu_workers(1, 2, requested=3, cpu_workers=16)


def test_worker_gpu_problem_reads_rays_wrapped_errors():
    text = (
        "The actor died because of an error raised in its creation task, ray::MapWorker.__init__()\n"
        '  File "ray_runner.py", line 147, in __init__\n    require_gpu(0)\n'
        "spacy_bert_components.errors.GPUUnavailableError: torch 2.13.0+cpu is built without CUDA: install it\n"
    )
    assert worker_gpu_problem(RuntimeError(text)) == "torch 2.13.0+cpu is built without CUDA: install it"
    try:
        try:
            raise GPUUnavailableError("no cupy")
        except GPUUnavailableError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert worker_gpu_problem(outer) == "no cupy"
    assert worker_gpu_problem(RuntimeError("The actor died unexpectedly before finishing this task.")) is None


ray = pytest.importorskip("ray")
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="a real CUDA device: workers would use it")


@pytest.fixture(scope="module")
def logical_gpu_ray() -> str:
    """A local Ray of 2 CPUs and 2 logical GPUs: Ray schedules and assigns
    them (CUDA_VISIBLE_DEVICES) though no device is behind them.

    RETURNS (str): Its address, for --address: the runs treat it as a
    cluster (without --address they check this machine's GPU first).
    """
    quiet_ray_environment(local_cluster=True)
    ray.init(
        address="local",
        num_cpus=2,
        num_gpus=2,
        object_store_memory=OBJECT_STORE,
        include_dashboard=False,
        log_to_driver=False,
    )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def gpu_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("gpu_inputs")
    return [write_jsonl(root / "in.jsonl", [{"id": f"g{i}", "text": t} for i, t in enumerate(make_texts(8, seed=5))])]


def quiet(total):
    import io

    return Progress(total, stream=io.StringIO(), bar=False)


@pytest.mark.slow
def test_ray_checks_gpus_before_any_work(logical_gpu_ray, gpu_inputs, tiny_pipeline, tmp_path):
    runner = CliRunner()
    args = ["annotate", "--address", logical_gpu_ray, "--model", tiny_pipeline] + [str(p) for p in gpu_inputs]
    cases = [
        (["--gpus-per-worker", "3"], "Error: --gpus-per-worker 3: the Ray cluster has 2 GPU(s)"),
        (
            ["--gpus-per-worker", "1", "--workers", "3"],
            "Error: --workers 3 x --gpus-per-worker 1 needs 3 GPUs; the Ray cluster has 2",
        ),
    ]
    if not torch.cuda.is_available():
        # The probe task runs gpu_problem on a Ray worker holding a logical GPU.
        cases.append((["--gpus-per-worker", "1"], "Error: --gpus-per-worker 1: Ray node "))
    for i, (options, start) in enumerate(cases):
        out = tmp_path / f"out{i}"
        result = runner.invoke(cli, args + options + ["-o", str(out)])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(start), result.output
        assert list(out.iterdir()) == []  # no manifest, no blocks: a rerun needs no --resume
    assert "is built without CUDA" in lines[0] or torch.cuda.is_available()


@pytest.mark.slow
@no_cuda
def test_ray_workers_hold_the_gpus_asked_for(logical_gpu_ray, gpu_inputs, tiny_pipeline, tmp_path, monkeypatch):
    """The real Ray path with --gpus-per-worker 2 and no --workers: as many
    workers as the GPUs hold (1, not one per CPU), the actor holding both.
    The GPU probe and the actor's move to the GPU are bypassed (no CUDA
    behind the logical GPUs); one actor keeps the test quick on 2 cores."""
    monkeypatch.setattr("spacy_bert_components.batch.ray_runner.ray_gpu_problem", lambda gpus: None)
    records = tmp_path / "records"
    records.mkdir()

    class RecordsGPUs(Annotator):
        def __init__(self, model, spec, gpus, batch_size, max_chars, threads=1, **settings):
            import os

            seen = {"gpu_ids": [str(i) for i in ray.get_gpu_ids()], "gpus": gpus, "threads": threads}
            (records / f"{os.getpid()}.json").write_text(json.dumps(seen))
            super().__init__(model, spec, 0, batch_size, max_chars, threads, **settings)

    summary = annotate_corpus(
        gpu_inputs,
        tmp_path / "out",
        model=tiny_pipeline,
        settings=RunSettings(address=logical_gpu_ray, gpus_per_worker=2, rows_per_file=4),
        progress=quiet,
        annotator=RecordsGPUs,
    )
    assert summary.rows_in == summary.rows_out == 8 and summary.errors == 0
    assert summary.manifest["runner"]["workers"] == 1 and summary.manifest["runner"]["gpus_per_worker"] == 2
    seen = [json.loads(p.read_text()) for p in records.iterdir()]
    assert seen and all(s["gpus"] == 2 and sorted(s["gpu_ids"]) == ["0", "1"] for s in seen)


@pytest.mark.slow
@no_cuda
def test_ray_worker_without_cuda_fails_in_one_line(logical_gpu_ray, gpu_inputs, tiny_pipeline, tmp_path, monkeypatch):
    """A node that passed the probe but whose actor cannot use its GPU (a
    mixed cluster): the error is the worker's one-line reason, not Ray's
    pages of traceback, and the run is left to finish with --resume."""
    monkeypatch.setattr("spacy_bert_components.batch.ray_runner.ray_gpu_problem", lambda gpus: None)
    out = tmp_path / "out"
    args = [
        "annotate",
        "--address",
        logical_gpu_ray,
        "--gpus-per-worker",
        "1",
        "--workers",
        "1",
        "--model",
        tiny_pipeline,
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(cli, args + [str(p) for p in gpu_inputs])
    assert result.exit_code == 2, result.output
    # Ray's driver prints its own "(raylet)" notices beside ours: only the
    # error line is this command's.
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert (
        errors[0].startswith("Error: a Ray worker cannot use its GPU: torch ") and "is built without CUDA" in errors[0]
    )
    assert errors[0].endswith(f"; once fixed, finish with --resume -o {out}")
    assert list(out.glob("part-*.parquet")) == []
    assert json.loads((out / "_manifest.json").read_text())["status"] == "interrupted"
