"""Whole-word masking: a word's pieces are masked together, special pieces
never, the same generator state gives the same masks."""
import torch

from spacy_bert_components.pretrain.masking import (
    IGNORE_INDEX,
    continuation_table,
    mask_whole_words,
    pad_batch,
    special_positions,
)

# [PAD]=0 [CLS]=1 [SEP]=2 [MASK]=3, then words and "##" pieces.
VOCAB = {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[MASK]": 3, "play": 4, "##ing": 5, "##ed": 6, "the": 7, "cat": 8, "##s": 9}
SPECIAL = [0, 1, 2]


def batch():
    # [CLS] the cat ##s play ##ing [SEP] / [CLS] ##ed the cat [SEP] [PAD]
    ids, attention = pad_batch([[1, 7, 8, 9, 4, 5, 2], [1, 6, 7, 8, 2]], pad_id=0)
    special = special_positions(ids, SPECIAL) | (attention == 0)
    return ids, attention, special


def mask(ids, special, seed, probability=0.5):
    return mask_whole_words(
        ids,
        special,
        continuation_table(VOCAB, len(VOCAB)),
        probability=probability,
        mask_id=3,
        vocab_size=len(VOCAB),
        generator=torch.Generator().manual_seed(seed),
    )


def test_pieces_of_a_word_are_chosen_together_and_special_pieces_never():
    ids, _, special = batch()
    words = {0: [[1], [2, 3], [4, 5]], 1: [[1], [2], [3]]}  # positions per word
    for seed in range(40):
        _, labels = mask(ids, special, seed)
        chosen = labels != IGNORE_INDEX
        assert not chosen[special].any()
        for row, row_words in words.items():
            for positions in row_words:
                assert len({bool(chosen[row, p]) for p in positions}) == 1
            # round(0.5 * 3 words) = 2 words per sequence
            assert sum(bool(chosen[row, ps[0]]) for ps in row_words) == 2
        assert torch.equal(labels[chosen], ids[chosen])


def test_same_generator_state_same_masks():
    ids, _, special = batch()
    first = mask(ids, special, seed=3)
    again = mask(ids, special, seed=3)
    other = [mask(ids, special, seed=s)[1] for s in range(4, 12)]
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert any(not torch.equal(first[1], labels) for labels in other)


def test_a_sequence_with_one_word_gets_one_masked():
    ids, attention = pad_batch([[1, 7, 2]], pad_id=0)
    special = special_positions(ids, SPECIAL)
    _, labels = mask(ids, special, seed=0, probability=0.15)
    assert (labels != IGNORE_INDEX).sum() == 1 and labels[0, 1] == 7
