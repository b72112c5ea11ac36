"""Tiny randomly initialised MPNet and RoBERTa encoders, built locally in a
second or two, beside the tiny BERT (`tiny_bert.py`).

The three differ where the code that touches an encoder can go wrong:

* BERT: WordPiece ("##" continues a word), [CLS]/[SEP], token_type_ids;
* MPNet (all-mpnet-base-v2's architecture): the same WordPiece, but `<s>`
  and `</s>` around a sequence, no token_type_ids, positions offset past
  the padding id;
* RoBERTa: byte-level BPE with no continuation mark ("Ġ" starts a word
  after a space), `<s>`/`</s>`, no token_type_ids; a word tokenizes
  differently at the start of a text than after a space.

Each is written as a Hugging Face folder (base model, config, fast
tokenizer), usable wherever an encoder is named. Nothing is downloaded.
"""

from collections import Counter
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

from .tiny_bert import DEFAULT_TINY_TEXTS, build_tiny_bert, wordpiece_vocab

# Positions the tiny encoders take; MPNet and RoBERTa number positions from
# the padding id + 1, so their tables hold two more.
TINY_MAX_LENGTH = 2048


def _tiny_sizes(hidden_size: int, num_layers: int) -> dict:
    # layer_norm_eps as all-mpnet-base-v2 and roberta-base have it. (A saved
    # pipeline keeps the config as JSON with 10 significant digits: the
    # classes' default of 1e-12 loads as 0.0, and an all-zero padding
    # embedding, as MPNet has, then normalizes to NaN.)
    return dict(
        layer_norm_eps=1e-5,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        intermediate_size=hidden_size * 2,
        max_position_embeddings=TINY_MAX_LENGTH + 2,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )


def build_tiny_mpnet(
    path: Union[str, Path],
    texts: Optional[Iterable[str]] = None,
    *,
    vocab_size: int = 1000,
    hidden_size: int = 32,
    num_layers: int = 2,
    seed: int = 0,
) -> Path:
    """Write a tiny MPNet (model, config and uncased WordPiece tokenizer with
    all-mpnet-base-v2's special tokens) to `path`.

    path (Union[str, Path]): Output directory, created if missing.
    texts (Optional[Iterable[str]]): More text for the vocabulary.
    vocab_size (int): Most vocabulary entries (the characters always fit).
    hidden_size (int): Width of the hidden states.
    num_layers (int): Number of transformer layers.
    seed (int): Seed for the random weights.
    RETURNS (Path): The model directory.
    """
    import torch
    from transformers import MPNetConfig, MPNetModel, MPNetTokenizerFast

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    # all-mpnet-base-v2's ids: <s> 0, <pad> 1, </s> 2; its unknown is [UNK].
    vocab = wordpiece_vocab(["<s>", "<pad>", "</s>", "[UNK]", "<mask>"], texts, vocab_size)
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf8")
    tokenizer = MPNetTokenizerFast(
        vocab_file=str(out / "vocab.txt"), do_lower_case=True, model_max_length=TINY_MAX_LENGTH
    )
    tokenizer.save_pretrained(str(out))
    config = MPNetConfig(vocab_size=len(vocab), **_tiny_sizes(hidden_size, num_layers))
    torch.manual_seed(seed)
    MPNetModel(config).save_pretrained(str(out))
    return out


def byte_level_bpe(texts: Optional[Iterable[str]], vocab_size: int) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """A byte-level BPE vocabulary and merges for `texts` and
    `DEFAULT_TINY_TEXTS`, built deterministically (the `tokenizers` BPE
    trainer breaks ties in hash order, see `tiny_bert.wordpiece_vocab`).

    The specials and the 256 byte symbols come first, then each corpus word
    (with and without its leading "Ġ"), most frequent first, merged from the
    left one symbol at a time; any other word splits further.

    texts (Optional[Iterable[str]]): More text for the vocabulary.
    vocab_size (int): Most vocabulary entries (the byte symbols always fit).
    RETURNS (Tuple[Dict[str, int], List[Tuple[str, str]]]): Vocabulary and
        merges, in rank order.
    """
    from tokenizers import pre_tokenizers

    pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    corpus = list(DEFAULT_TINY_TEXTS) + list(texts or [])
    words = Counter(word for text in corpus for word, _ in pre_tokenizer.pre_tokenize_str(text))
    symbols = ["<s>", "<pad>", "</s>", "<unk>", *sorted(pre_tokenizers.ByteLevel.alphabet())]
    vocab: Dict[str, int] = {symbol: i for i, symbol in enumerate(symbols)}
    merges: List[Tuple[str, str]] = []
    for word in sorted(words, key=lambda w: (-words[w], w)):
        merged = word[0]
        for char in word[1:]:
            if len(vocab) >= vocab_size - 1:  # room for <mask>
                break
            if merged + char not in vocab:
                merges.append((merged, char))
                vocab[merged + char] = len(vocab)
            merged += char
    vocab["<mask>"] = len(vocab)
    return vocab, merges


def build_tiny_roberta(
    path: Union[str, Path],
    texts: Optional[Iterable[str]] = None,
    *,
    vocab_size: int = 1000,
    hidden_size: int = 32,
    num_layers: int = 2,
    seed: int = 0,
) -> Path:
    """Write a tiny RoBERTa (model, config and byte-level BPE tokenizer) to
    `path`.

    path (Union[str, Path]): Output directory, created if missing.
    texts (Optional[Iterable[str]]): More text for the vocabulary.
    vocab_size (int): Most vocabulary entries (the 256 byte symbols always fit).
    hidden_size (int): Width of the hidden states.
    num_layers (int): Number of transformer layers.
    seed (int): Seed for the random weights.
    RETURNS (Path): The model directory.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    vocab, merges = byte_level_bpe(texts, max(vocab_size, 261))
    backend = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    # roberta-base's post-processor: <s> ... </s>, offsets trimmed of the
    # space that "Ġ" stands for.
    backend.post_processor = processors.RobertaProcessing(
        sep=("</s>", vocab["</s>"]), cls=("<s>", vocab["<s>"]), trim_offsets=True, add_prefix_space=False
    )
    tokenizer = RobertaTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        add_prefix_space=False,
        trim_offsets=True,
        model_max_length=TINY_MAX_LENGTH,
    )
    tokenizer.save_pretrained(str(out))
    config = RobertaConfig(vocab_size=len(vocab), type_vocab_size=1, **_tiny_sizes(hidden_size, num_layers))
    torch.manual_seed(seed)
    RobertaModel(config).save_pretrained(str(out))
    return out


# The tiny encoder of each architecture the tests run on.
TINY_ENCODER_BUILDERS: Dict[str, Callable[..., Path]] = {
    "bert": build_tiny_bert,
    "mpnet": build_tiny_mpnet,
    "roberta": build_tiny_roberta,
}
