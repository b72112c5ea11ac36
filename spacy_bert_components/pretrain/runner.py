"""`pretrain_encoder`: one pre-training run, from INPUT paths and an encoder
to an encoder folder with `metrics.json`. The CLI only parses options and
calls this; the loop itself is `loop.run_pretraining`, in the process or on
Ray Train workers (`ray_train.pretrain_on_ray`)."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

from ..corpus.sources import ReadOptions
from ..errors import PretrainUsageError
from .checkpoints import last_checkpoint, read_state
from .data import heldout_sequences, plan_inputs
from .loop import METRICS_FILE, PretrainJob, Worker, run_pretraining
from .progress import StepProgress
from .settings import PretrainSettings


@dataclass
class Placement:
    """Where the loop runs.

    workers (int): 1 runs in the process (no Ray); more, on Ray Train.
    local (bool): In the process whatever `workers` says.
    cpus_per_worker (float): CPUs Ray reserves per worker.
    gpus_per_worker (float): GPUs per worker (in the process: > 0 uses cuda:0).
    address (Optional[str]): An existing Ray cluster.
    """

    workers: int = 1
    local: bool = False
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    address: Optional[str] = None

    @property
    def in_process(self) -> bool:
        return self.local or self.workers == 1

    @property
    def world_size(self) -> int:
        return 1 if self.in_process else self.workers


def _check_output(output: Path, resume: bool) -> Optional[Path]:
    """RETURNS (Optional[Path]): The checkpoint to resume from, if any."""
    checkpoint = last_checkpoint(output)
    if resume:
        return checkpoint
    if checkpoint is not None:
        raise PretrainUsageError(
            f"{output} holds checkpoints of a run: continue it with --resume, or choose another --output"
        )
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise PretrainUsageError(f"{output} exists and is not an empty folder: choose another --output")
    return None


def pretrain_encoder(
    inputs: Sequence[Path],
    output: Path,
    *,
    encoder: str = "default",
    settings: Optional[PretrainSettings] = None,
    placement: Optional[Placement] = None,
    resume: bool = False,
    log: Callable[[str], None] = lambda line: None,
    progress: Callable[..., Any] = StepProgress,
) -> Dict[str, Any]:
    """Continue the masked-language-model training of `encoder` on the text
    of `inputs`, and write the result to `output` as an encoder folder.

    inputs (Sequence[Path]): Parquet or JSON-lines files, folders of them or
        of .txt files, zip / tar archives (the batch runner's inputs).
    output (Path): The output folder: the encoder, `metrics.json` and
        `checkpoints/`.
    encoder (str): "default", an installed encoder, a Hugging Face encoder
        folder (BERT, MPNet, RoBERTa) or a cached hub name.
    settings (Optional[PretrainSettings]): Steps, batch, learning rate...
    placement (Optional[Placement]): In the process or on Ray workers.
    resume (bool): Continue from the last complete checkpoint in `output`.
    log (Callable[[str], None]): Receives one-line status messages.
    progress (Callable[..., Any]): Builds the progress reporter
        (`StepProgress(total, start=...)`).
    RETURNS (Dict[str, Any]): The metrics written to `metrics.json`.
    RAISES (PretrainUsageError): Bad settings, inputs or output folder.
    """
    from transformers import AutoTokenizer

    from ..encoder.resolve import resolve_encoder

    settings = settings or PretrainSettings()
    placement = placement or Placement()
    settings.validate()
    if placement.workers < 1:
        raise PretrainUsageError("--workers must be 1 or more")
    output = Path(output)
    # Absolute: Ray Train workers run in a working directory of their own.
    inputs = [Path(path).absolute() for path in inputs]
    checkpoint = _check_output(output, resume)
    encoder_dir = resolve_encoder(encoder)
    options = ReadOptions(text_column=settings.text_column, id_column=settings.id_column)
    start = 0
    if checkpoint is not None:
        state = read_state(checkpoint)
        if state["world_size"] != placement.world_size:
            hint = "--local" if state["world_size"] == 1 else f"--workers {state['world_size']}"
            raise PretrainUsageError(f"{checkpoint} was written by {state['world_size']} worker(s): resume with {hint}")
        start = int(state["step"])
        # The blocks of the interrupted run, so the data positions hold.
        plan = plan_inputs(inputs, options, rows_per_block=int(state["rows_per_block"]), workers=1, fixed=True)
        log(f"resuming from {checkpoint} (step {start} of {settings.max_steps})")
    else:
        plan = plan_inputs(inputs, options, rows_per_block=settings.rows_per_block, workers=placement.world_size)
        if resume:
            log(f"no checkpoint in {output}: starting from {encoder_dir}")
    if not plan.blocks:
        raise PretrainUsageError("the input holds no rows: " + ", ".join(str(path) for path in inputs))
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir), use_fast=True)
    heldout, _ = heldout_sequences(
        plan,
        options,
        tokenizer,
        seq_len=settings.seq_len,
        eval_fraction=settings.eval_fraction,
        max_sequences=settings.eval_max_sequences,
        seed=settings.seed,
    )
    log(
        f"{plan.n_rows} rows in {len(plan.blocks)} blocks; {len(heldout)} held-out sequences of at most {settings.seq_len} pieces"
    )
    output.mkdir(parents=True, exist_ok=True)
    job = PretrainJob(
        encoder_dir=str(encoder_dir),
        output=str(output.resolve()),
        blocks=plan.blocks,
        rows_per_block=plan.rows_per_block,
        heldout=heldout,
        settings=settings.to_dict(),
    )
    reporter = progress(settings.max_steps, start=start)
    try:
        if placement.in_process:
            _run_in_process(job, settings, placement, reporter.update)
        else:
            from .ray_train import pretrain_on_ray

            log(
                f"Ray Train: {placement.workers} workers, {placement.cpus_per_worker} CPU and {placement.gpus_per_worker} GPU each"
            )
            pretrain_on_ray(
                job,
                workers=placement.workers,
                cpus_per_worker=placement.cpus_per_worker,
                gpus_per_worker=placement.gpus_per_worker,
                address=placement.address,
                on_step=reporter.update,
            )
    finally:
        reporter.close()
    return json.loads((output / METRICS_FILE).read_text(encoding="utf8"))


def _run_in_process(job: PretrainJob, settings: PretrainSettings, placement: Placement, on_step: Callable) -> None:
    import torch

    from ..threads import set_compute_threads

    if settings.threads:
        set_compute_threads(settings.threads)
    device = torch.device("cuda:0" if placement.gpus_per_worker > 0 else "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise PretrainUsageError("--gpus-per-worker > 0 but torch sees no GPU: use --gpus-per-worker 0")
    run_pretraining(job, Worker(device=device, on_step=on_step))
