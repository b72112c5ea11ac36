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
VOCAB = {
    "[PAD]": 0,
    "[CLS]": 1,
    "[SEP]": 2,
    "[MASK]": 3,
    "play": 4,
    "##ing": 5,
    "##ed": 6,
    "the": 7,
    "cat": 8,
    "##s": 9,
}
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


# Words of several pieces in every tiny vocabulary: their characters are
# pieces of their own.
WORDS_TEXT = "the quick brown fox zyxwv jumps qqqkkk over the lazy dog xylophones"


def test_word_marks_of_each_architecture(tiny_bert, tiny_mpnet, tiny_roberta):
    from transformers import AutoTokenizer

    from spacy_bert_components.pretrain.masking import BYTE_LEVEL_MARKS, WORDPIECE_MARKS, word_marks

    marks = [word_marks(AutoTokenizer.from_pretrained(path)) for path in (tiny_bert, tiny_mpnet, tiny_roberta)]
    assert marks == [WORDPIECE_MARKS, WORDPIECE_MARKS, BYTE_LEVEL_MARKS]


def test_whole_words_are_masked_together_on_each_architecture(tiny_encoder):
    """A whitespace-separated word's pieces are chosen together, for "##"
    continuations (BERT, MPNet) and "Ġ" word starts (RoBERTa) alike, and
    <s>/</s>/[CLS]/[SEP] never."""
    from transformers import AutoTokenizer

    from spacy_bert_components.pretrain.data import pack_texts
    from spacy_bert_components.pretrain.masking import word_marks

    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    [sequence] = pack_texts([WORDS_TEXT, WORDS_TEXT], tokenizer, seq_len=128)
    assert sequence[0] == tokenizer.cls_token_id and sequence[-1] == tokenizer.sep_token_id
    # Each piece's word: the text's whitespace words, counted over both texts.
    encoding = tokenizer(WORDS_TEXT, add_special_tokens=False, return_offsets_mapping=True)
    starts = [start for start, _ in encoding["offset_mapping"]]
    text_words = [WORDS_TEXT[:start].count(" ") for start in starts]
    n_words = len(WORDS_TEXT.split())
    words = [-1, *text_words, -1, *(w + n_words for w in text_words), -1]
    assert len(words) == len(sequence)
    assert len(set(text_words)) < len(text_words)  # some words have several pieces
    ids = torch.tensor([sequence])
    special = special_positions(ids, [tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id])
    continuation = continuation_table(tokenizer.get_vocab(), len(tokenizer), word_marks(tokenizer))
    for seed in range(20):
        _, labels = mask_whole_words(
            ids,
            special,
            continuation,
            probability=0.3,
            mask_id=tokenizer.mask_token_id,
            vocab_size=len(tokenizer),
            generator=torch.Generator().manual_seed(seed),
        )
        chosen = (labels[0] != IGNORE_INDEX).tolist()
        assert not any(c for c, w in zip(chosen, words) if w < 0)
        by_word = {}
        for c, w in zip(chosen, words):
            by_word.setdefault(w, set()).add(c)
        assert all(len(states) == 1 for w, states in by_word.items() if w >= 0)
        assert sum(states == {True} for states in by_word.values()) == round(0.3 * 2 * n_words)
