"""`spacy-bert pretrain`: continue an encoder's masked-language-model
training on unlabelled text. Click parses; the work is
`pretrain.runner.pretrain_encoder`, imported inside so `--help` is instant."""

from pathlib import Path
from typing import Optional, Tuple

import click

from ..pretrain import settings as defaults
from .failures import exit_on_error


@click.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the adapted encoder, metrics.json and checkpoints/.",
)
@click.option(
    "--encoder",
    default="default",
    show_default=True,
    help="Encoder to continue: 'default' (the packaged all-MiniLM-L6-v2), an installed encoder (all-mpnet-base-v2), a Hugging Face encoder folder (BERT, MPNet, RoBERTa) or a cached hub name.",
)
@click.option(
    "--text-column", default="text", show_default=True, help="Column (Parquet) or field (JSON lines) holding the text."
)
@click.option(
    "--id-column",
    default="id",
    show_default=True,
    help="Column or field holding the id (the held-out split hashes it); when absent, ids are FILE:ROW or ARCHIVE/MEMBER.",
)
@click.option(
    "--max-steps",
    type=int,
    default=defaults.DEFAULT_MAX_STEPS,
    show_default=True,
    help="Optimizer steps in all (a resumed run counts the steps done before).",
)
@click.option(
    "--batch-size",
    type=int,
    default=defaults.DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Sequences per step and worker.",
)
@click.option(
    "--seq-len",
    type=int,
    default=defaults.DEFAULT_SEQ_LEN,
    show_default=True,
    help="Wordpieces per sequence; texts are packed, [SEP] between them.",
)
@click.option(
    "--lr",
    type=float,
    default=defaults.DEFAULT_LR,
    show_default=True,
    help="Peak learning rate (AdamW, weight decay 0.01).",
)
@click.option(
    "--warmup-steps",
    type=int,
    default=defaults.DEFAULT_WARMUP_STEPS,
    show_default=True,
    help="Linear warm-up steps, then linear decay to 0 at --max-steps.",
)
@click.option(
    "--eval-fraction",
    type=float,
    default=defaults.DEFAULT_EVAL_FRACTION,
    show_default=True,
    help="Share of the input rows held out (by a hash of the id) for the held-out MLM loss.",
)
@click.option(
    "--eval-max-sequences",
    type=int,
    default=defaults.DEFAULT_EVAL_MAX_SEQUENCES,
    show_default=True,
    help="Evaluate on at most this many held-out sequences.",
)
@click.option(
    "--checkpoint-every",
    type=int,
    default=defaults.DEFAULT_CHECKPOINT_EVERY,
    show_default=True,
    help="Steps between checkpoints in OUTPUT/checkpoints/ (0: at the end only).",
)
@click.option(
    "--keep-checkpoints",
    type=int,
    default=defaults.DEFAULT_KEEP_CHECKPOINTS,
    show_default=True,
    help="Complete checkpoints kept; older ones are removed.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --output from its last complete checkpoint (after a crash or kill, or with a larger --max-steps).",
)
@click.option(
    "--precision",
    type=click.Choice(list(defaults.PRECISIONS)),
    default="fp32",
    show_default=True,
    help="bf16: autocast of the forward pass (fast on CPUs with AMX and on recent GPUs); weights and optimizer stay float32.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the masks, the data order and a new MLM head."
)
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="Ray Train workers, data-parallel; 1 runs in this process without Ray.",
)
@click.option("--local", is_flag=True, help="Run in this process without Ray, whatever --workers says.")
@click.option(
    "--cpus-per-worker",
    type=float,
    default=1.0,
    show_default=True,
    help="CPUs Ray reserves per worker (torch gets one thread per whole CPU).",
)
@click.option(
    "--gpus-per-worker",
    type=float,
    default=0.0,
    show_default=True,
    help="GPUs per worker; > 0 trains on GPU (nccl between Ray workers).",
)
@click.option(
    "--address",
    default=None,
    help="Address of an existing Ray cluster (default: start a local Ray and stop it at the end).",
)
@click.option("--threads", type=int, default=None, help="torch threads for --local (default: torch's, one per core).")
def pretrain(
    inputs: Tuple[Path, ...],
    output: Path,
    encoder: str,
    text_column: str,
    id_column: str,
    max_steps: int,
    batch_size: int,
    seq_len: int,
    lr: float,
    warmup_steps: int,
    eval_fraction: float,
    eval_max_sequences: int,
    checkpoint_every: int,
    keep_checkpoints: int,
    resume: bool,
    precision: str,
    seed: int,
    workers: int,
    local: bool,
    cpus_per_worker: float,
    gpus_per_worker: float,
    address: Optional[str],
    threads: Optional[int],
) -> None:
    """Continue the masked-language-model training of an encoder on your own
    text (domain-adaptive pre-training) and write it to --output as an
    encoder folder that any config takes as the transformer's `name`.

    INPUT: Parquet or JSON-lines files, folders of them or of .txt files,
    .zip / .tar / .tar.gz archives of text files (as `spacy-bert annotate`).

    Exit codes: 0 done, 2 bad usage or unusable input, 3 the run failed
    (finish it with --resume), 130 interrupted (finish it with --resume).
    """
    from ..pretrain.runner import Placement, pretrain_encoder
    from ..pretrain.settings import PretrainSettings

    settings = PretrainSettings(
        max_steps=max_steps,
        batch_size=batch_size,
        seq_len=seq_len,
        lr=lr,
        warmup_steps=warmup_steps,
        eval_fraction=eval_fraction,
        eval_max_sequences=eval_max_sequences,
        checkpoint_every=checkpoint_every,
        keep_checkpoints=keep_checkpoints,
        precision=precision,
        seed=seed,
        text_column=text_column,
        id_column=id_column,
        threads=threads,
    )
    placement = Placement(
        workers=workers, local=local, cpus_per_worker=cpus_per_worker, gpus_per_worker=gpus_per_worker, address=address
    )

    def log(line: str) -> None:
        click.echo(f"pretrain: {line}", err=True)

    with exit_on_error(
        resume=f"continue with --resume -o {output}",
        interrupted=f"continue from the last checkpoint with --resume -o {output}",
    ):
        metrics = pretrain_encoder(
            inputs, output, encoder=encoder, settings=settings, placement=placement, resume=resume, log=log
        )
    click.echo(
        f"{metrics['steps']} steps, {metrics['tokens_per_s']} tokens/s; held-out MLM loss "
        f"{metrics['heldout_mlm_loss_before']} -> {metrics['heldout_mlm_loss_after']}; encoder: {output}"
    )
