"""The training loop, one function for both ways of running: in the process
(`--local`) and on each Ray Train worker. What differs (rank, wrapping the
model for data parallelism, reporting to Ray) comes in a `Worker`.

Every step is reproducible: the data position, the mask generator and torch's
own generator (dropout) are in each checkpoint, so a resumed run takes the
same steps, and ends with the same weights, as one that never stopped.
"""

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from ..corpus.blocks import Block
from ..corpus.sources import ReadOptions
from .checkpoints import (
    begin_checkpoint,
    finish_checkpoint,
    last_checkpoint,
    prune_checkpoints,
    read_state,
    read_training_state,
)
from .data import StreamPosition, TrainStream
from .masking import continuation_table, mask_whole_words, pad_batch, special_positions, word_marks
from .model import MaskedLMLoss, load_masked_lm, save_encoder
from .settings import PretrainSettings

METRICS_FILE = "metrics.json"
EVAL_BATCH_SIZE = 64
# Seeds derived from --seed: the held-out masks must not depend on how many
# training batches came before, so they have a generator of their own.
EVAL_MASK_SEED = 1_000_003
RANK_SEED_STRIDE = 7919
LOSS_SMOOTHING = 0.9


@dataclass
class PretrainJob:
    """Everything a worker needs, picklable (it travels to Ray workers).

    encoder_dir (str): The encoder folder to start from.
    output (str): The output folder (shared by all workers).
    blocks (List[Block]): The planned input blocks.
    rows_per_block (int): The plan's rows per block (kept in checkpoints).
    heldout (List[List[int]]): The held-out sequences (piece ids).
    settings (Dict[str, Any]): `PretrainSettings.to_dict()`.
    """

    encoder_dir: str
    output: str
    blocks: List[Block]
    rows_per_block: int
    heldout: List[List[int]]
    settings: Dict[str, Any]


@dataclass
class Worker:
    """How this process takes part in the run.

    rank (int): This worker's number (0 writes checkpoints and the output).
    world_size (int): Workers in all.
    device (torch.device): Where the model runs.
    prepare (Callable[[nn.Module], nn.Module]): Wraps the loss module for
        data parallelism (Ray's `prepare_model`); identity in the process.
    report (Callable[[Dict[str, Any]], None]): Called by every worker at each
        checkpoint and at the end (`ray.train.report`).
    on_step (Callable[[int, float], None]): Called by rank 0 after each step
        with the step and the running loss (the progress bar).
    """

    rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    prepare: Callable[[nn.Module], nn.Module] = lambda module: module
    report: Callable[[Dict[str, Any]], None] = lambda metrics: None
    on_step: Callable[[int, float], None] = lambda step, loss: None

    def gather(self, value: Any) -> List[Any]:
        """RETURNS (List[Any]): `value` from every worker, by rank."""
        if self.world_size == 1:
            return [value]
        import torch.distributed as dist

        values: List[Any] = [None] * self.world_size
        dist.all_gather_object(values, value)
        return values

    def total(self, value: float) -> float:
        """RETURNS (float): The sum of `value` over the workers."""
        return float(sum(self.gather(value)))


def linear_schedule(warmup_steps: int, max_steps: int) -> Callable[[int], float]:
    """RETURNS (Callable[[int], float]): The learning-rate factor per step:
    linear warm-up to 1, then linear decay to 0 at `max_steps`."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        return max(0.0, (max_steps - step) / max(1, max_steps - warmup_steps))

    return factor


def build_optimizer(model: nn.Module, settings: PretrainSettings) -> torch.optim.Optimizer:
    """AdamW; biases and LayerNorm weights without weight decay (as BERT)."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": settings.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=settings.lr)


class Masker:
    """Turns sequences into a masked, padded batch."""

    def __init__(self, tokenizer: Any, vocab_size: int, probability: float) -> None:
        self.pad_id = tokenizer.pad_token_id
        self.mask_id = tokenizer.mask_token_id
        self.special_ids = [tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id]
        self.continuation = continuation_table(tokenizer.get_vocab(), vocab_size, word_marks(tokenizer))
        self.vocab_size = vocab_size
        self.probability = probability

    def __call__(
        self, sequences: Sequence[List[int]], generator: torch.Generator
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """RETURNS (Tuple[torch.Tensor, torch.Tensor, torch.Tensor]): Masked
        input ids, attention mask and labels."""
        ids, attention = pad_batch(sequences, self.pad_id)
        special = special_positions(ids, self.special_ids) | (attention == 0)
        masked, labels = mask_whole_words(
            ids,
            special,
            self.continuation,
            probability=self.probability,
            mask_id=self.mask_id,
            vocab_size=self.vocab_size,
            generator=generator,
        )
        return masked, attention, labels


def heldout_batches(
    sequences: Sequence[List[int]], masker: Masker, seed: int
) -> List[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """RETURNS (List[...]): The held-out set, masked once with a generator of
    its own, so the loss before and after training is over the same masks."""
    generator = torch.Generator().manual_seed(seed + EVAL_MASK_SEED)
    return [masker(sequences[i : i + EVAL_BATCH_SIZE], generator) for i in range(0, len(sequences), EVAL_BATCH_SIZE)]


def heldout_loss(loss_module: MaskedLMLoss, batches: Sequence[Tuple[torch.Tensor, ...]], device: torch.device) -> float:
    """RETURNS (float): Mean cross-entropy per masked piece (float32, no
    dropout)."""
    was_training = loss_module.training
    loss_module.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids, attention, labels in batches:
            loss, n = loss_module(ids.to(device), attention.to(device), labels.to(device))
            total += float(loss) * int(n)
            count += int(n)
    loss_module.train(was_training)
    return total / max(1, count)


def _autocast(settings: PretrainSettings, device: torch.device) -> Any:
    if settings.precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


def _seed_generators(seed: int, rank: int) -> torch.Generator:
    torch.manual_seed(seed + RANK_SEED_STRIDE * (rank + 1))
    return torch.Generator().manual_seed(seed + RANK_SEED_STRIDE * (rank + 1) + 1)


def run_pretraining(job: PretrainJob, worker: Worker) -> Optional[Dict[str, Any]]:
    """Train from the encoder (or the last complete checkpoint in the output)
    to `max_steps`, checkpointing on the way; rank 0 then evaluates and
    writes the output folder and `metrics.json`.

    job (PretrainJob): What to train on, from what, to where.
    worker (Worker): This process's part in the run.
    RETURNS (Optional[Dict[str, Any]]): The metrics (rank 0), else None.
    """
    from transformers import AutoTokenizer

    settings = PretrainSettings.from_dict(job.settings)
    output = Path(job.output)
    device = worker.device
    checkpoint = last_checkpoint(output)
    start_dir = checkpoint if checkpoint is not None else Path(job.encoder_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(start_dir), use_fast=True)
    masked_lm, pooler, new_head = load_masked_lm(start_dir, seed=settings.seed)
    loss_module = MaskedLMLoss(masked_lm)
    vocab_size = masked_lm.config.vocab_size
    masker = Masker(tokenizer, vocab_size, settings.mlm_probability)
    mask_generator = _seed_generators(settings.seed, worker.rank)
    eval_batches = heldout_batches(job.heldout, masker, settings.seed) if worker.rank == 0 else []
    optimizer = build_optimizer(loss_module, settings)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(settings.warmup_steps, settings.max_steps))
    step, position = 0, StreamPosition()
    totals = {"train_tokens": 0.0, "train_seconds": 0.0, "masked_pieces": 0.0}
    loss_before: Optional[float] = None
    if checkpoint is not None:
        # (The driver has checked that the run has the checkpoint's workers.)
        state = read_state(checkpoint)
        training_state = read_training_state(checkpoint)
        optimizer.load_state_dict(training_state["optimizer"])
        scheduler.load_state_dict(training_state["scheduler"])
        mine = training_state["workers"][worker.rank]
        position = StreamPosition(**mine["position"])
        torch.set_rng_state(mine["torch_rng"])
        mask_generator.set_state(mine["mask_rng"])
        totals = dict(mine["totals"])
        step = int(state["step"])
        loss_before = state.get("heldout_mlm_loss_before")
        new_head = bool(state.get("new_head", new_head))
    first_step = step
    loss_module.to(device)
    model = worker.prepare(loss_module)
    if worker.rank == 0 and loss_before is None:
        loss_before = heldout_loss(loss_module, eval_batches, device)
    stream = TrainStream(
        job.blocks,
        ReadOptions(text_column=settings.text_column, id_column=settings.id_column),
        tokenizer,
        seq_len=settings.seq_len,
        eval_fraction=settings.eval_fraction,
        seed=settings.seed,
        rank=worker.rank,
        world_size=worker.world_size,
        position=position,
    )

    def save(at_step: int) -> None:
        # Every worker's position and generators go into rank 0's checkpoint.
        mine = {
            "position": stream.position.to_dict(),
            "torch_rng": torch.get_rng_state(),
            "mask_rng": mask_generator.get_state(),
            "totals": dict(totals),
        }
        everyone = worker.gather(mine)
        if worker.rank == 0:
            tmp = begin_checkpoint(output, at_step)
            save_encoder(masked_lm, pooler, tokenizer, tmp)
            state = {
                "step": at_step,
                "max_steps": settings.max_steps,
                "world_size": worker.world_size,
                "rows_per_block": job.rows_per_block,
                "heldout_mlm_loss_before": loss_before,
                "new_head": new_head,
                "totals": totals,
                "settings": settings.to_dict(),
            }
            training = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "workers": everyone}
            finish_checkpoint(tmp, state, training)
            prune_checkpoints(output, settings.keep_checkpoints)
        worker.report({"step": at_step})

    running: Optional[float] = None
    model.train()
    while step < settings.max_steps:
        started = time.perf_counter()
        ids, attention, labels = masker(stream.take(settings.batch_size), mask_generator)
        ids, attention, labels = ids.to(device), attention.to(device), labels.to(device)
        with _autocast(settings, device):
            loss, n_masked = model(ids, attention, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(loss_module.parameters(), settings.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss is {value} at step {step}: lower --lr or use --precision fp32")
        totals["train_seconds"] += time.perf_counter() - started
        totals["train_tokens"] += float(attention.sum())
        totals["masked_pieces"] += float(n_masked)
        running = value if running is None else LOSS_SMOOTHING * running + (1 - LOSS_SMOOTHING) * value
        if worker.rank == 0:
            worker.on_step(step, running)
        if settings.checkpoint_every and step % settings.checkpoint_every == 0 and step < settings.max_steps:
            save(step)
    # The last step is always checkpointed: a kill while the output is being
    # written then resumes with nothing left to train.
    if checkpoint is None or step != first_step:
        save(step)
    tokens = worker.total(totals["train_tokens"])
    if worker.rank != 0:
        worker.report({"step": step})
        return None
    loss_after = heldout_loss(loss_module, eval_batches, device)
    save_encoder(masked_lm, pooler, tokenizer, output)
    metrics = {
        "steps": step,
        "tokens_per_s": round(tokens / totals["train_seconds"], 1) if totals["train_seconds"] else None,
        "heldout_mlm_loss_before": round(loss_before, 4) if loss_before is not None else None,
        "heldout_mlm_loss_after": round(loss_after, 4),
        "heldout_sequences": len(job.heldout),
        "heldout_masked_pieces": int(sum(int((labels != -100).sum()) for _, _, labels in eval_batches)),
        "train_tokens": int(tokens),
        "train_seconds": round(totals["train_seconds"], 1),
        "workers": worker.world_size,
        "new_head": new_head,
        "encoder": job.encoder_dir,
        "settings": settings.to_dict(),
    }
    (output / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf8")
    worker.report({"step": step, **{k: v for k, v in metrics.items() if isinstance(v, (int, float))}})
    return metrics
