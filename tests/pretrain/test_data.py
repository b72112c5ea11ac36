"""Inputs -> sequences: the held-out split is stable and disjoint, texts are
packed, and a stream continued from its saved position gives what the
uninterrupted stream gives."""

from spacy_bert_components.corpus.sources import ReadOptions
from spacy_bert_components.pretrain.data import (
    StreamPosition,
    TrainStream,
    is_heldout,
    pack_texts,
    plan_inputs,
)

from .conftest import write_jsonl


def test_heldout_split_is_by_id_and_stable():
    ids = [f"doc{i}" for i in range(2000)]
    held = [i for i in ids if is_heldout(i, 0.1)]
    assert 150 < len(held) < 250
    assert held == [i for i in ids if is_heldout(i, 0.1)]
    assert set(held) <= {i for i in ids if is_heldout(i, 0.2)}


def test_pack_texts_joins_texts_with_sep_and_cuts_at_seq_len(tiny_bert):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    texts = ["the quick brown fox", "", "jumps over the lazy dog"] * 5
    sequences = pack_texts(texts, tokenizer, seq_len=16)
    assert all(
        len(seq) <= 16 and seq[0] == tokenizer.cls_token_id and seq[-1] == tokenizer.sep_token_id for seq in sequences
    )
    pieces = [p for seq in sequences for p in seq[1:-1]]
    words = tokenizer("the quick brown fox", add_special_tokens=False)["input_ids"]
    assert pieces[: len(words)] == words and pieces[len(words)] == tokenizer.sep_token_id


def test_stream_continues_from_its_position(tiny_bert, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    path = write_jsonl(
        tmp_path / "t.jsonl", ({"id": str(i), "text": f"text number {i} about a fox"} for i in range(60))
    )
    plan = plan_inputs([path], ReadOptions(), rows_per_block=10, workers=1)

    def stream(position=None, rank=0, world_size=1):
        return TrainStream(
            plan.blocks,
            ReadOptions(),
            tokenizer,
            seq_len=12,
            eval_fraction=0.1,
            seed=0,
            rank=rank,
            world_size=world_size,
            position=position,
        )

    whole = stream()
    expected = [whole.take(3) for _ in range(12)]  # more than one epoch
    first = stream()
    got = [first.take(3) for _ in range(5)]
    saved = StreamPosition(**first.position.to_dict())
    second = stream(saved)
    got += [second.take(3) for _ in range(7)]
    assert got == expected
    # Two workers share the blocks of an epoch without overlap.
    share0, share1 = stream(rank=0, world_size=2).share(0), stream(rank=1, world_size=2).share(0)
    assert not {b.name for b in share0} & {b.name for b in share1}
    assert len(share0) + len(share1) == len(plan.blocks)
