"""Inputs -> WordPiece sequences for masked-language-model training.

The inputs are read by `corpus`, as the batch runner reads them: the same sources, the
same blocks, read one block at a time, so a corpus of any size streams. A row
is held out for evaluation by a hash of its id, never by its position, so the
held-out share is the same on every run, with any number of workers.

Training order: every epoch shuffles the blocks (seeded by the epoch), each
worker takes every `world_size`-th of them, and the sequences of a block are
shuffled (seeded by epoch and block). A `StreamPosition` (epoch, block of the
worker's share, sequences used) is therefore all a checkpoint needs to
continue the stream exactly where it stopped.
"""

import hashlib
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..corpus.blocks import Block, Plan, plan_blocks
from ..corpus.readers import read_block
from ..corpus.sources import ReadOptions, find_sources
from ..errors import PretrainUsageError

_HASH_SCALE = float(1 << 64)


def is_heldout(row_id: str, fraction: float) -> bool:
    """RETURNS (bool): Whether the row with this id is held out for evaluation
    (a hash of the id below `fraction`: stable across runs and machines)."""
    digest = hashlib.sha1(row_id.encode("utf8")).digest()
    return int.from_bytes(digest[:8], "big") / _HASH_SCALE < fraction


def plan_inputs(
    paths: Sequence[Path], options: ReadOptions, *, rows_per_block: int, workers: int, fixed: bool = False
) -> Plan:
    """Find the sources of the INPUT arguments and cut them into blocks.

    rows_per_block (int): Most rows per block.
    workers (int): Small inputs are cut finer, so every worker gets blocks.
    fixed (bool): Use exactly `rows_per_block` (a resumed run: the blocks of
        the interrupted one).
    RETURNS (Plan): The blocks, in input order.
    """
    sources = find_sources(list(paths))
    if fixed:
        return plan_blocks(sources, options, max_rows_per_block=rows_per_block, rows_per_block=rows_per_block)
    return plan_blocks(sources, options, max_rows_per_block=rows_per_block, workers=workers)


@dataclass
class BlockTexts:
    """The usable texts of one block, split into training and held-out."""

    train: List[str]
    heldout: List[str]
    errors: int
    first_error: Optional[str]


def read_texts(block: Block, options: ReadOptions, eval_fraction: float) -> BlockTexts:
    """Read a block; rows with an error (no text field, not UTF-8...) and
    blank texts are skipped and counted.

    RETURNS (BlockTexts): The texts, in input order.
    """
    table = read_block(block, options)
    train: List[str] = []
    heldout: List[str] = []
    errors = 0
    first_error: Optional[str] = None
    for row_id, text, error in zip(
        table.column("id").to_pylist(), table.column("text").to_pylist(), table.column("error").to_pylist()
    ):
        if error is not None:
            errors += 1
            first_error = first_error or f"{row_id}: {error}"
            continue
        if not text or not text.strip():
            continue
        (heldout if is_heldout(row_id, eval_fraction) else train).append(text)
    return BlockTexts(train, heldout, errors, first_error)


def pack_texts(texts: Iterable[str], tokenizer: Any, seq_len: int) -> List[List[int]]:
    """Tokenize texts and pack them into sequences of at most `seq_len`
    pieces: [CLS] pieces [SEP], with [SEP] between texts. Packing across texts
    (RoBERTa's FULL-SENTENCES) wastes no padding on short texts such as
    one-sentence rows.

    RETURNS (List[List[int]]): The sequences, in text order.
    """
    texts = list(texts)
    if not texts:
        return []
    body = seq_len - 2
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    # verbose=False: texts longer than the model's maximum are fine here,
    # they are cut below.
    encoded = tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
    stream: List[int] = []
    for pieces in encoded:
        if not pieces:
            continue
        if stream:
            stream.append(sep_id)
        stream.extend(pieces)
    sequences = []
    for start in range(0, len(stream), body):
        chunk = stream[start : start + body]
        if chunk and chunk[0] == sep_id:
            chunk = chunk[1:]
        if chunk:
            sequences.append([cls_id, *chunk, sep_id])
    return sequences


def heldout_sequences(
    plan: Plan,
    options: ReadOptions,
    tokenizer: Any,
    *,
    seq_len: int,
    eval_fraction: float,
    max_sequences: int,
    seed: int,
) -> Tuple[List[List[int]], int]:
    """Collect the held-out sequences: blocks in a seeded order (so a capped
    set is spread over the corpus, not its first file) until `max_sequences`.
    Also checks that the input holds training text at all.

    RETURNS (Tuple[List[List[int]], int]): The sequences and the number of
        training texts seen on the way.
    RAISES (PretrainUsageError): No held-out text, or no training text.
    """
    order = list(range(len(plan.blocks)))
    random.Random(f"{seed}:heldout").shuffle(order)
    sequences: List[List[int]] = []
    n_train = n_rows = n_errors = 0
    first_error: Optional[str] = None
    for index in order:
        texts = read_texts(plan.blocks[index], options, eval_fraction)
        n_rows += plan.blocks[index].n_rows
        n_train += len(texts.train)
        n_errors += texts.errors
        first_error = first_error or texts.first_error
        sequences.extend(pack_texts(texts.heldout, tokenizer, seq_len))
        if len(sequences) >= max_sequences and n_train:
            break
    if not n_train and not sequences:
        detail = f"; {n_errors} rows with errors, first: {first_error}" if n_errors else ""
        hint = " (set --text-column)" if first_error and "no field" in first_error else ""
        raise PretrainUsageError(f"the input holds no text to train on: {n_rows} rows read{detail}{hint}")
    if not sequences:
        raise PretrainUsageError(
            f"no row of the input is held out for evaluation ({n_rows} rows, --eval-fraction "
            f"{eval_fraction}): raise --eval-fraction or give more rows"
        )
    if not n_train:
        raise PretrainUsageError(
            f"every row of the input is held out for evaluation ({n_rows} rows): lower --eval-fraction"
        )
    return sequences[:max_sequences], n_train


@dataclass
class StreamPosition:
    """Where a worker's training stream stands.

    epoch (int): Passes over the data started so far, minus one.
    slot (int): Block of the worker's share of this epoch.
    offset (int): Sequences of that block already used.
    """

    epoch: int = 0
    slot: int = 0
    offset: int = 0

    def to_dict(self) -> Dict[str, int]:
        return asdict(self)


class TrainStream:
    """One worker's endless stream of training sequences.

    blocks (Sequence[Block]): The plan's blocks.
    options (ReadOptions): Column and field names.
    tokenizer (Any): A Hugging Face fast tokenizer.
    seq_len (int): Pieces per sequence.
    eval_fraction (float): Held-out share (those rows are skipped here).
    seed (int): Seed of the shuffling.
    rank (int): This worker's number.
    world_size (int): Workers in all.
    position (Optional[StreamPosition]): Where to start (a resumed run).
    """

    def __init__(
        self,
        blocks: Sequence[Block],
        options: ReadOptions,
        tokenizer: Any,
        *,
        seq_len: int,
        eval_fraction: float,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        position: Optional[StreamPosition] = None,
    ) -> None:
        self.blocks = list(blocks)
        self.options = options
        self.tokenizer = tokenizer
        self.seq_len = seq_len
        self.eval_fraction = eval_fraction
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.position = position or StreamPosition()
        self._sequences: Optional[List[List[int]]] = None
        self._used_this_epoch = 0

    def share(self, epoch: int) -> List[Block]:
        """RETURNS (List[Block]): This worker's blocks of an epoch, in order."""
        order = list(range(len(self.blocks)))
        random.Random(f"{self.seed}:epoch:{epoch}").shuffle(order)
        return [self.blocks[i] for i in order[self.rank :: self.world_size]]

    def _load(self) -> List[List[int]]:
        share = self.share(self.position.epoch)
        if self.position.slot >= len(share):
            return []
        block = share[self.position.slot]
        texts = read_texts(block, self.options, self.eval_fraction)
        sequences = pack_texts(texts.train, self.tokenizer, self.seq_len)
        random.Random(f"{self.seed}:epoch:{self.position.epoch}:{block.name}").shuffle(sequences)
        return sequences

    def take(self, n: int) -> List[List[int]]:
        """RETURNS (List[List[int]]): The next `n` sequences (the stream starts
        a new epoch at the end of the data).
        RAISES (PretrainUsageError): A whole epoch without any sequence for
            this worker (too little text for the number of workers)."""
        taken: List[List[int]] = []
        empty_epochs = 0
        while len(taken) < n:
            if self._sequences is None:
                self._sequences = self._load()
            if self.position.offset < len(self._sequences):
                need = n - len(taken)
                chunk = self._sequences[self.position.offset : self.position.offset + need]
                taken.extend(chunk)
                self.position.offset += len(chunk)
                self._used_this_epoch += len(chunk)
                continue
            # This block is used up: the next one, or the next epoch.
            self._sequences = None
            self.position.offset = 0
            self.position.slot += 1
            if self.position.slot >= len(self.share(self.position.epoch)):
                if self._used_this_epoch == 0:
                    empty_epochs += 1
                    if empty_epochs >= 2:
                        raise PretrainUsageError(
                            f"worker {self.rank} of {self.world_size} found no training text in a whole "
                            "pass over its share of the input: give more text or fewer --workers"
                        )
                self.position.epoch += 1
                self.position.slot = 0
                self._used_this_epoch = 0
        return taken
