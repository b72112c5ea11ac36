"""A tiny randomly initialised BERT, built locally in a second or two.

Tests and the projects' smoke runs use it in place of the real encoder: it has
the same architecture and tokenizer type (uncased WordPiece), so every config
trains, saves and loads exactly as with the real one, with no download.
"""
import string
from pathlib import Path
from typing import Iterable, Optional, Union

DEFAULT_TINY_TEXTS = (
    "Angela Merkel visited Paris on 3 May 2021 and met Emmanuel Macron.",
    "The film was wonderful, moving and funny; I loved it!",
    "The plot is dull, the acting wooden and the ending awful.",
    "Apple Inc. sold 12,000 phones in New York for $1.5 million.",
    "John gave Mary a book because she asked him for it.",
    "Researchers propose a new method (see Section 4.2) that beats baselines by 7%.",
    "The quick brown fox jumps over the lazy dog near the river bank.",
)


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
    vocab_size (int): WordPiece vocabulary size.
    hidden_size (int): Width of the hidden states.
    num_layers (int): Number of transformer layers.
    seed (int): Seed for the random weights.
    RETURNS (Path): The model directory, usable wherever an encoder is named.
    """
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    alphabet = list(string.ascii_lowercase + string.digits + string.punctuation)
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=special, initial_alphabet=alphabet
    )
    corpus = list(DEFAULT_TINY_TEXTS) + list(texts or [])
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    tokenizer.model.save(str(out))  # writes vocab.txt
    hf_tokenizer = BertTokenizerFast(vocab_file=str(out / "vocab.txt"), do_lower_case=True)
    hf_tokenizer.save_pretrained(str(out))
    config = BertConfig(
        vocab_size=hf_tokenizer.vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        intermediate_size=hidden_size * 2,
        max_position_embeddings=512,
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(str(out))
    return out
