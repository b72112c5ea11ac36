"""Whole-word masking over wordpiece sequences.

Masking whole words (as BERT's own whole-word-masking models do) keeps the
model from guessing "##ing" from "runn": it has to know the word. Where a
word starts depends on the tokenizer's marks (`word_marks`): in WordPiece
(BERT, MPNet) a word is a piece without "##" and the "##" pieces after it;
in byte-level BPE (RoBERTa) a piece with "Ġ" (a space before it) starts a
word and every other piece continues one; SentencePiece marks starts with
"▁" the same way.
"""

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import torch

IGNORE_INDEX = -100  # the label of pieces that are not predicted
MASK_SHARE = 0.8  # of the chosen pieces: [MASK] ...
RANDOM_SHARE = 0.1  # ... a random piece; the rest stay as they are


@dataclass(frozen=True)
class WordMarks:
    """How a tokenizer's pieces show where words start.

    prefix (str): The mark at the start of a piece.
    starts (bool): True: a piece with the mark starts a word ("Ġ", "▁");
        False: a piece with the mark continues one ("##").
    """

    prefix: str
    starts: bool


WORDPIECE_MARKS = WordMarks("##", starts=False)
BYTE_LEVEL_MARKS = WordMarks("\u0120", starts=True)  # "Ġ": the byte of a space


def _components(node: Any) -> Iterator[Dict[str, Any]]:
    """The pre-tokenizer and the ones inside it (a `Sequence` nests them)."""
    if isinstance(node, dict):
        yield node
        for child in node.get("pretokenizers") or []:
            yield from _components(child)


def word_marks(tokenizer: Any) -> Optional[WordMarks]:
    """RETURNS (Optional[WordMarks]): The marks of `tokenizer`'s pieces, read
    from its fast tokenizer's definition; None where its pieces carry none
    (every piece is then a word of its own).

    tokenizer (Any): A Hugging Face tokenizer; a slow one is taken for
        WordPiece, the only kind this package used before fast ones.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return WORDPIECE_MARKS
    state = json.loads(backend.to_str())
    model = state.get("model") or {}
    if model.get("type") == "WordPiece":
        return WordMarks(model.get("continuing_subword_prefix") or "##", starts=False)
    for component in _components(state.get("pre_tokenizer")):
        if component.get("type") == "ByteLevel":
            return BYTE_LEVEL_MARKS
        if component.get("type") == "Metaspace":
            return WordMarks(component.get("replacement") or "\u2581", starts=True)
    if model.get("continuing_subword_prefix"):
        return WordMarks(model["continuing_subword_prefix"], starts=False)
    return None


def continuation_table(vocab: Dict[str, int], size: int, marks: Optional[WordMarks] = WORDPIECE_MARKS) -> torch.Tensor:
    """RETURNS (torch.Tensor): Bool per vocabulary id: True for pieces that
    continue a word ("##" pieces in WordPiece; pieces without "Ġ" in
    byte-level BPE).

    vocab (Dict[str, int]): The tokenizer's vocabulary.
    size (int): Rows of the embedding table (may exceed the vocabulary).
    marks (Optional[WordMarks]): The tokenizer's marks (`word_marks`); None:
        no piece continues a word.
    """
    table = torch.zeros(max(size, len(vocab)), dtype=torch.bool)
    if marks is None:
        return table
    for piece, index in vocab.items():
        if piece.startswith(marks.prefix) != marks.starts:
            table[index] = True
    return table


def pad_batch(sequences: Sequence[List[int]], pad_id: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """RETURNS (Tuple[torch.Tensor, torch.Tensor]): Input ids padded to the
    longest sequence, and the attention mask (1 for real pieces)."""
    width = max(len(seq) for seq in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def mask_whole_words(
    input_ids: torch.Tensor,
    special: torch.Tensor,
    continuation: torch.Tensor,
    *,
    probability: float,
    mask_id: int,
    vocab_size: int,
    generator: torch.Generator,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Choose round(probability * words) whole words per sequence (at least
    one) and replace their pieces: 80% by [MASK], 10% by a random piece, 10%
    left as they are.

    input_ids (torch.Tensor): (batch, length) piece ids.
    special (torch.Tensor): (batch, length) True for [CLS], [SEP] and padding:
        never masked.
    continuation (torch.Tensor): Per vocabulary id, True for pieces that
        continue a word (`continuation_table`).
    probability (float): Share of the words to mask.
    mask_id (int): Id of [MASK].
    vocab_size (int): Random replacements are drawn from [0, vocab_size).
    generator (torch.Generator): All randomness comes from it, so the same
        generator state gives the same masks.
    RETURNS (Tuple[torch.Tensor, torch.Tensor]): The masked input ids and the
        labels (the original id where a piece was chosen, else IGNORE_INDEX).
    """
    batch, length = input_ids.shape
    is_cont = continuation[input_ids] & ~special
    # A sequence cut in the middle of a word starts with continuation pieces:
    # they form a word of their own. So does a text's first word after [CLS]
    # or a separator, which in byte-level BPE has no "Ġ".
    after_special = torch.ones_like(special)
    after_special[:, 1:] = special[:, :-1]
    starts = ~special & (~is_cont | after_special)
    word_of = torch.cumsum(starts.long(), dim=1)  # 1-based word number per piece
    n_words = starts.sum(dim=1)
    n_chosen = torch.clamp(torch.round(n_words.double() * probability).long(), min=1)
    n_chosen = torch.minimum(n_chosen, n_words)
    # A random rank per word; the n_chosen lowest ranks are masked. Column 0
    # (no word) and columns past the sequence's words never are.
    max_words = int(n_words.max().item()) if batch else 0
    scores = torch.rand((batch, max_words + 1), generator=generator)
    columns = torch.arange(max_words + 1).unsqueeze(0)
    scores[(columns == 0) | (columns > n_words.unsqueeze(1))] = float("inf")
    ranks = scores.argsort(dim=1).argsort(dim=1)
    chosen_words = ranks < n_chosen.unsqueeze(1)
    chosen = torch.gather(chosen_words, 1, word_of) & ~special
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    draw = torch.rand((batch, length), generator=generator)
    random_ids = torch.randint(0, vocab_size, (batch, length), generator=generator)
    masked = input_ids.clone()
    masked[chosen & (draw < MASK_SHARE)] = mask_id
    use_random = chosen & (draw >= MASK_SHARE) & (draw < MASK_SHARE + RANDOM_SHARE)
    masked[use_random] = random_ids[use_random]
    return masked, labels


def special_positions(input_ids: torch.Tensor, special_ids: Sequence[int]) -> torch.Tensor:
    """RETURNS (torch.Tensor): True where `input_ids` holds one of `special_ids`."""
    return torch.isin(input_ids, torch.tensor(list(special_ids), dtype=input_ids.dtype))
