"""A tiny randomly initialised BERT, built locally in a second or two.

Tests and the projects' smoke runs use it in place of the real encoder: it has
the same architecture and tokenizer type (uncased WordPiece), so every config
trains, saves and loads exactly as with the real one, with no download.
"""

import string
from collections import Counter
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Union

DEFAULT_TINY_TEXTS = (
    "Angela Merkel visited Paris on 3 May 2021 and met Emmanuel Macron.",
    "The film was wonderful, moving and funny; I loved it!",
    "The plot is dull, the acting wooden and the ending awful.",
    "Apple Inc. sold 12,000 phones in New York for $1.5 million.",
    "John gave Mary a book because she asked him for it.",
    "Researchers propose a new method (see Section 4.2) that beats baselines by 7%.",
    "The quick brown fox jumps over the lazy dog near the river bank.",
)


def wordpiece_vocab(specials: Sequence[str], texts: Optional[Iterable[str]], vocab_size: int) -> List[str]:
    """An uncased WordPiece vocabulary for `texts` and `DEFAULT_TINY_TEXTS`.

    It is built here, not by the `tokenizers` WordPiece trainer: that trainer
    breaks ties between merges in hash order, so every build had another
    vocabulary (and another model), and short overfitting tests passed or
    failed by chance. Here: the special tokens, every character alone and as
    a continuation piece, then the corpus's words, most frequent first; any
    other word splits into characters.

    specials (Sequence[str]): The special tokens, first, in id order.
    texts (Optional[Iterable[str]]): More text for the vocabulary.
    vocab_size (int): Most entries (the characters always fit).
    RETURNS (List[str]): The vocabulary, in id order.
    """
    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    corpus = list(DEFAULT_TINY_TEXTS) + list(texts or [])
    words = Counter(
        word for text in corpus for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))
    )
    chars = sorted(set(string.ascii_lowercase + string.digits + string.punctuation).union(*words))
    vocab = [*specials, *chars, *(f"##{c}" for c in chars)]
    known = set(vocab)
    frequent = sorted((w for w in words if w not in known), key=lambda w: (-words[w], w))
    vocab.extend(frequent[: max(0, vocab_size - len(vocab))])
    return vocab


def build_tiny_bert(
    path: Union[str, Path],
    texts: Optional[Iterable[str]] = None,
    *,
    vocab_size: int = 1000,
    hidden_size: int = 32,
    num_layers: int = 2,
    seed: int = 0,
) -> Path:
    """Write a tiny BERT (model, config and tokenizer) to `path`.

    path (Union[str, Path]): Output directory, created if missing.
    texts (Optional[Iterable[str]]): Text for the WordPiece vocabulary, added
        to a few built-in sentences; every ASCII letter, digit and punctuation
        mark is in the alphabet regardless, so nothing becomes [UNK] wholesale.
    vocab_size (int): Most WordPiece entries (the characters always fit).
    hidden_size (int): Width of the hidden states.
    num_layers (int): Number of transformer layers.
    seed (int): Seed for the random weights.
    RETURNS (Path): The model directory, usable wherever an encoder is named.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    vocab = wordpiece_vocab(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], texts, vocab_size)
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf8")
    hf_tokenizer = BertTokenizerFast(vocab_file=str(out / "vocab.txt"), do_lower_case=True)
    hf_tokenizer.save_pretrained(str(out))
    config = BertConfig(
        vocab_size=hf_tokenizer.vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        intermediate_size=hidden_size * 2,
        # Unseen words split into characters: a window of 128 spaCy tokens
        # can take several hundred wordpieces.
        max_position_embeddings=2048,
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(str(out))
    return out
