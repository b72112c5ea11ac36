"""The inter-sentence scorer (BertSumExt's "inter-sentence transformer"), in
plain PyTorch: pool token vectors into sentence vectors, add sentence
positions, let a small transformer encoder read the document's sentences
together, and give one logit per sentence."""

import math

import torch
from torch import nn


def sinusoidal_positions(n_positions: int, width: int, device: torch.device) -> torch.Tensor:
    """Fixed sine/cosine position codes: no maximum number of sentences."""
    position = torch.arange(n_positions, device=device, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, width, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / width))
    codes = torch.zeros(n_positions, width, device=device)
    codes[:, 0::2] = torch.sin(position * div)
    codes[:, 1::2] = torch.cos(position * div[: width // 2])
    return codes


class SentenceScorer(nn.Module):
    """Scores every sentence of a batch of documents.

    hidden_width (int): Width of the sentence vectors inside the scorer.
    n_layers (int): Transformer encoder layers over the sentences (0: none,
        the sentence vector and its position alone decide).
    n_heads (int): Attention heads; must divide `hidden_width`.
    dropout (float): Dropout inside the scorer.

    The input width is inferred on the first call (`LazyLinear`), so the head
    fits any encoder; a saved state dict restores it.
    """

    def __init__(self, hidden_width: int, n_layers: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.hidden_width = hidden_width
        self.project = nn.LazyLinear(hidden_width)
        self.norm = nn.LayerNorm(hidden_width)
        self.dropout = nn.Dropout(dropout)
        self.position_scale = nn.Parameter(torch.ones(1))
        if n_layers > 0:
            layer = nn.TransformerEncoderLayer(
                hidden_width,
                n_heads,
                dim_feedforward=hidden_width * 2,
                dropout=dropout,
                batch_first=True,
            )
            # No nested tensors: the output of a sentence must not depend on
            # how the batch was padded (batch sizes 1 and 8 give the same).
            self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        else:
            self.encoder = None
        self.output = nn.Linear(hidden_width, 1)

    def forward(
        self,
        tokens: torch.Tensor,
        token_sentence: torch.Tensor,
        sentence_lengths: torch.Tensor,
        padding_mask: torch.Tensor,
    ) -> torch.Tensor:
        """
        tokens (Tensor[n_tokens, width]): Token vectors of all docs, concatenated.
        token_sentence (Tensor[n_tokens] long): For each token, the row of its
            sentence in the flattened (n_docs * max_sentences) grid.
        sentence_lengths (Tensor[n_docs * max_sentences]): Tokens per sentence
            (0 for padding).
        padding_mask (Tensor[n_docs, max_sentences] bool): True for padding.
        RETURNS (Tensor[n_docs, max_sentences]): One logit per sentence.
        """
        n_docs, max_sents = padding_mask.shape
        width = tokens.shape[1]
        summed = tokens.new_zeros(n_docs * max_sents, width).index_add(0, token_sentence, tokens)
        pooled = summed / sentence_lengths.clamp(min=1).unsqueeze(1).to(tokens.dtype)
        hidden = self.norm(self.project(pooled.view(n_docs, max_sents, width)))
        positions = sinusoidal_positions(max_sents, self.hidden_width, tokens.device)
        hidden = self.dropout(hidden + self.position_scale * positions.unsqueeze(0))
        if self.encoder is not None:
            # A row that is all padding (a doc without sentences) would give
            # NaNs in attention: let it attend to its (zero) padding instead.
            mask = padding_mask & ~padding_mask.all(dim=1, keepdim=True)
            hidden = self.encoder(hidden, src_key_padding_mask=mask)
        return self.output(hidden).squeeze(-1)
