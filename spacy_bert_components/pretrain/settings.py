"""The settings of one pre-training run, shared by the CLI, the local loop and
the Ray Train workers (they travel to the workers as a plain dict)."""

from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional

from ..errors import PretrainUsageError

DEFAULT_MAX_STEPS = 1000
DEFAULT_BATCH_SIZE = 32
DEFAULT_SEQ_LEN = 128
DEFAULT_LR = 5e-5
DEFAULT_WARMUP_STEPS = 100
DEFAULT_EVAL_FRACTION = 0.02
DEFAULT_EVAL_MAX_SEQUENCES = 1000
DEFAULT_CHECKPOINT_EVERY = 200
DEFAULT_KEEP_CHECKPOINTS = 2
DEFAULT_MLM_PROBABILITY = 0.15
DEFAULT_WEIGHT_DECAY = 0.01
DEFAULT_GRAD_CLIP = 1.0
DEFAULT_ROWS_PER_BLOCK = 1000
PRECISIONS = ("fp32", "bf16")


@dataclass
class PretrainSettings:
    """How to pre-train: everything but the inputs, the encoder and the output.

    max_steps (int): Optimizer steps in all (a resumed run counts the steps
        before the interruption).
    batch_size (int): Sequences per step and worker.
    seq_len (int): Wordpieces per sequence, [CLS] and [SEP] included.
    lr (float): Peak learning rate of AdamW.
    warmup_steps (int): Linear warm-up steps; then linear decay to 0 at
        `max_steps`.
    eval_fraction (float): Share of the input rows held out for evaluation,
        chosen by a hash of the row id: the same rows on every run.
    eval_max_sequences (int): Evaluate on at most this many held-out sequences.
    checkpoint_every (int): Steps between checkpoints (0: only at the end).
    keep_checkpoints (int): Complete checkpoints kept (the older ones are
        removed once a newer one is written).
    mlm_probability (float): Share of the words masked per sequence.
    weight_decay (float): AdamW's, on weights other than biases and LayerNorm.
    grad_clip (float): Largest gradient norm.
    precision (str): "fp32", or "bf16" (autocast of the forward pass; the
        weights and the optimizer stay float32).
    seed (int): Seed of the masks, the shuffling and a new MLM head.
    text_column (str): Column (Parquet) or field (JSON lines) of the text.
    id_column (str): Column or field of the row id (the held-out hash).
    rows_per_block (int): Most input rows per block (the unit of reading,
        shuffling and sharing out to workers).
    threads (Optional[int]): torch threads per process (None: torch's default
        locally, one per whole CPU reserved on Ray).
    """

    max_steps: int = DEFAULT_MAX_STEPS
    batch_size: int = DEFAULT_BATCH_SIZE
    seq_len: int = DEFAULT_SEQ_LEN
    lr: float = DEFAULT_LR
    warmup_steps: int = DEFAULT_WARMUP_STEPS
    eval_fraction: float = DEFAULT_EVAL_FRACTION
    eval_max_sequences: int = DEFAULT_EVAL_MAX_SEQUENCES
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    keep_checkpoints: int = DEFAULT_KEEP_CHECKPOINTS
    mlm_probability: float = DEFAULT_MLM_PROBABILITY
    weight_decay: float = DEFAULT_WEIGHT_DECAY
    grad_clip: float = DEFAULT_GRAD_CLIP
    precision: str = "fp32"
    seed: int = 0
    text_column: str = "text"
    id_column: str = "id"
    rows_per_block: int = DEFAULT_ROWS_PER_BLOCK
    threads: Optional[int] = None

    def validate(self) -> None:
        """Raise PretrainUsageError naming the first option out of range."""
        checks = [
            (self.max_steps >= 1, "--max-steps must be 1 or more"),
            (self.batch_size >= 1, "--batch-size must be 1 or more"),
            (self.seq_len >= 8, "--seq-len must be 8 or more"),
            (self.lr > 0, "--lr must be positive"),
            (self.warmup_steps >= 0, "--warmup-steps must be 0 or more"),
            (0.0 < self.eval_fraction < 1.0, "--eval-fraction must be between 0 and 1 (exclusive)"),
            (self.eval_max_sequences >= 1, "--eval-max-sequences must be 1 or more"),
            (self.checkpoint_every >= 0, "--checkpoint-every must be 0 or more"),
            (self.keep_checkpoints >= 1, "--keep-checkpoints must be 1 or more"),
            (0.0 < self.mlm_probability < 1.0, "the masking probability must be between 0 and 1"),
            (self.precision in PRECISIONS, f"--precision must be one of {', '.join(PRECISIONS)}"),
            (self.rows_per_block >= 1, "rows per block must be 1 or more"),
        ]
        for ok, message in checks:
            if not ok:
                raise PretrainUsageError(message)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "PretrainSettings":
        return cls(**values)
