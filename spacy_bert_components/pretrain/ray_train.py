"""The Ray layer, and only wiring: a Ray Train `TorchTrainer` runs the same
loop as `--local` on every worker, data-parallel (DDP over gloo on CPU, nccl
on GPU). Rank 0 writes the checkpoints and the output into --output, which
therefore must be a path every worker's node sees (as Ray Train's own
`storage_path` must be on a cluster)."""

import threading
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import ray

from ..errors import PretrainUsageError
from ..ray_session import ray_session
from .checkpoints import checkpoints_root
from .loop import PretrainJob, Worker, run_pretraining

POLL_SECONDS = 0.5
RAY_RUN_NAME = "ray"


@ray.remote(num_cpus=0)
class ProgressBoard:
    """Where rank 0 posts its step and running loss; the driver reads it for
    the progress bar (the workers' own output does not reach the driver)."""

    def __init__(self) -> None:
        self.step = 0
        self.loss: Optional[float] = None

    def post(self, step: int, loss: float) -> None:
        self.step, self.loss = step, loss

    def read(self) -> tuple:
        return self.step, self.loss


def train_worker(config: Dict[str, Any]) -> None:
    """`train_loop_per_worker`: one Ray Train worker's part of the run."""
    import ray.train
    import ray.train.torch

    from ..threads import set_compute_threads

    set_compute_threads(config["threads"])
    context = ray.train.get_context()
    board = config["board"]
    worker = Worker(
        rank=context.get_world_rank(),
        world_size=context.get_world_size(),
        device=ray.train.torch.get_device(),
        prepare=ray.train.torch.prepare_model,
        report=lambda metrics: ray.train.report(metrics),
        on_step=lambda step, loss: board.post.remote(step, loss),
    )
    run_pretraining(config["job"], worker)


def _usage_error_in(err: BaseException) -> Optional[PretrainUsageError]:
    """The PretrainUsageError a worker raised, unwrapped from Ray's errors."""
    failures = getattr(err, "worker_failures", None) or {}
    for failure in failures.values():
        seen = 0
        while failure is not None and seen < 8:
            if isinstance(failure, PretrainUsageError):
                return failure
            failure = getattr(failure, "cause", None) or failure.__cause__
            seen += 1
    return None


def pretrain_on_ray(
    job: PretrainJob,
    *,
    workers: int,
    cpus_per_worker: float,
    gpus_per_worker: float,
    address: Optional[str],
    on_step: Callable[[int, Optional[float]], None],
) -> None:
    """Run the job on `workers` Ray Train workers; returns when they are done.

    cpus_per_worker (float): CPUs reserved per worker (fractions allowed);
        torch gets one thread per whole CPU, at least one.
    gpus_per_worker (float): GPUs per worker; > 0 trains on GPUs with nccl.
    address (Optional[str]): An existing Ray cluster (default: a local Ray,
        stopped at the end; a Ray already initialized in this process is used).
    on_step (Callable[[int, Optional[float]], None]): Called in the driver
        with rank 0's step and running loss, about twice a second.
    RAISES (PretrainUsageError): A worker found the input unusable.
    """
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    use_gpu = gpus_per_worker > 0
    resources = {"CPU": cpus_per_worker, **({"GPU": gpus_per_worker} if use_gpu else {})}
    with ray_session(address=address):
        board = ProgressBoard.remote()
        trainer = TorchTrainer(
            train_worker,
            train_loop_config={"job": job, "board": board, "threads": max(1, int(cpus_per_worker))},
            torch_config=TorchConfig(backend="nccl" if use_gpu else "gloo"),
            scaling_config=ScalingConfig(num_workers=workers, use_gpu=use_gpu, resources_per_worker=resources),
            # Ray's own run records sit beside the checkpoints; a failed run
            # is continued with --resume (from our checkpoints), not by Ray.
            run_config=RunConfig(
                name=RAY_RUN_NAME,
                storage_path=str(checkpoints_root(Path(job.output)).resolve()),
                failure_config=FailureConfig(max_failures=0),
            ),
        )
        outcome: Dict[str, Any] = {}

        def fit() -> None:
            try:
                trainer.fit()
            except BaseException as err:  # noqa: BLE001 - re-raised in the driver below
                outcome["error"] = err

        thread = threading.Thread(target=fit, name="pretrain-fit", daemon=True)
        thread.start()
        last_step = -1
        while thread.is_alive():
            thread.join(POLL_SECONDS)
            step, loss = ray.get(board.read.remote())
            if step != last_step:
                on_step(step, loss)
                last_step = step
        step, loss = ray.get(board.read.remote())
        if step != last_step:
            on_step(step, loss)
    if "error" in outcome:
        usage = _usage_error_in(outcome["error"])
        if usage is not None:
            raise PretrainUsageError(str(usage)) from None
        raise outcome["error"]
