"""The light PyTorch SRL head (`SRLConvModel.v1`): the per-predicate BiLSTM of
`SRLHead` replaced by a factorized input layer and residual 1-D convolutions.

The BiLSTM runs one sequential step per token for every predicate, which on
CPU costs more than the rest of the pipeline's heads together. Here the
per-predicate input is built from precomputed parts (the token's and the
predicate's projections, their elementwise product for the interaction
between the two, an embedding of the token's clipped offset from the
predicate), so its cost per (predicate, token) is a few elementwise
operations; dilated convolutions (dilation 1, 2, 4, ...) then give each tag
the neighbouring tokens' view, all in parallel. The encoder's vectors are
already contextual, so the head needs little context of its own.

With `between_width`, it adds what lies between each token and its
predicate: a narrow learned feature of every token, summed over the tokens
strictly between the two through prefix sums, so two gathers per (predicate,
token) give the whole stretch's summary that the convolutions' few tokens of
context do not reach.

Same inputs and outputs as `SRLHead`, so the thinc wiring is shared.
"""

from typing import Optional, Tuple

import torch
from torch import nn

from ..layers.length_batches import length_batches
from .pytorch_srl_model import PredicateHead, offset_ids, padded_rows, scatter, with_zero_row

# Predicate x token positions per group: the [group, tokens, hidden] tensors
# stay within a few MB.
GROUP_POSITIONS = 8192


class SRLConvHead(PredicateHead):
    def __init__(
        self,
        hidden: int,
        n_tags: int,
        n_senses: int,
        *,
        conv_depth: int = 2,
        conv_window: int = 1,
        max_distance: int = 32,
        between_width: int = 0,
        dropout: float = 0.1,
    ) -> None:
        super().__init__(hidden, n_tags, n_senses, dropout)
        self.max_distance = max_distance
        self.token_part = nn.Linear(hidden, hidden)
        self.predicate_part = nn.Linear(hidden, hidden, bias=False)
        self.token_gate = nn.Linear(hidden, hidden)
        self.predicate_gate = nn.Linear(hidden, hidden)
        # Offsets -max..max, then one row for the predicate's own token.
        self.offset = nn.Embedding(2 * max_distance + 2, hidden)
        self.convs = nn.ModuleList(
            nn.Conv1d(hidden, hidden, 2 * conv_window + 1, padding=conv_window * 2**i, dilation=2**i)
            for i in range(conv_depth)
        )
        # A token far from its predicate still sees whether a verb, a comma
        # or a relative pronoun separates them.
        self.between_width = between_width
        if between_width:
            self.between_in = nn.Linear(hidden, between_width)
            self.between_out = nn.Linear(between_width, hidden, bias=False)
        # n_tags BIO role scores plus one argument-head score per token.
        self.tagger = nn.Linear(hidden, n_tags + 1)
        self.sense = nn.Linear(2 * hidden, max(n_senses, 1))

    def label_frames(
        self,
        X: torch.Tensor,
        flat: torch.Tensor,
        mask: torch.Tensor,
        lengths: torch.Tensor,
        pred_sent: torch.Tensor,
        pred_pos: torch.Tensor,
        Xv: torch.Tensor,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Residual convolutions over each predicate's tokens; see `PredicateHead.label_frames`."""
        L = X.shape[1]
        P = pred_sent.shape[0]
        # Per-token parts on the real tokens, per-predicate parts, each once.
        # The groups below gather token rows straight from the flat parts
        # (padding reads an appended zero row): no padded copy is built.
        token_part = with_zero_row(self.token_part(flat))
        token_gate = with_zero_row(self.token_gate(flat))
        token_rows = padded_rows(mask)
        predicate_part = self.predicate_part(Xv)
        predicate_gate = self.predicate_gate(Xv)
        prefix = self._between_prefix(flat, mask)
        # Only each frame's own sentence is ever read (decoding, loss): the
        # positions past it are left as allocated.
        roles = flat.new_empty((P, L, self.n_tags + 1))
        at_predicate = flat.new_zeros((P, flat.shape[-1]))
        # The per-(predicate, token) part runs on predicates grouped by
        # sentence length, each group padded to its own longest sentence:
        # on ordinary text most positions padded to the batch's longest
        # sentence would be padding.
        frame_lengths = lengths[pred_sent]
        groups = length_batches(frame_lengths.cpu().numpy(), max_positions=GROUP_POSITIONS, max_padding=0.2)
        for rows in groups:
            group = torch.as_tensor(rows, device=X.device)
            Lg = int(frame_lengths[group].max())
            sents, positions = pred_sent[group], pred_pos[group]
            tokens = token_rows[sents, :Lg]
            h = (
                token_part[tokens]
                + predicate_part[group][:, None, :]
                + token_gate[tokens] * predicate_gate[group][:, None, :]
                + self.offset(offset_ids(Lg, positions, self.max_distance))
            )
            if prefix is not None:
                h = h + self._between(prefix, sents, positions, Lg)
            keep = mask[sents, :Lg][:, None, :].to(h.dtype)  # [G, 1, Lg]: padding stays zero
            h = torch.relu(h).transpose(1, 2) * keep  # [G, H, Lg] for the convolutions
            for conv in self.convs:
                h = h + torch.relu(conv(self.dropout(h))) * keep
            h = self.dropout(h.transpose(1, 2))  # [G, Lg, H]
            roles[group, :Lg] = self.tagger(h)
            at_predicate[group] = h[torch.arange(group.numel(), device=X.device), positions]
        return roles, at_predicate

    def _between_prefix(self, flat: torch.Tensor, mask: torch.Tensor) -> Optional[torch.Tensor]:
        """RETURNS (Optional[Tensor[B, L + 1, W]]): Prefix sums of the between
        features of the real tokens `flat` [N, H] (zero at the padding, which
        no sum between two real tokens reaches): row t holds the sum over
        tokens 0..t-1. None without them."""
        if not self.between_width:
            return None
        features = scatter(torch.relu(self.between_in(flat)), mask)
        return torch.nn.functional.pad(features.cumsum(dim=1), (0, 0, 1, 0))

    def _between(self, prefix: torch.Tensor, sents: torch.Tensor, positions: torch.Tensor, Lg: int) -> torch.Tensor:
        """RETURNS (Tensor[G, Lg, H]): For each predicate and token, the
        projected sum of the between features over the tokens strictly
        between them (zero for the predicate and its neighbours)."""
        tokens = torch.arange(Lg, device=prefix.device)[None, :]
        low = torch.minimum(tokens, positions[:, None]) + 1
        high = torch.maximum(torch.maximum(tokens, positions[:, None]), low)  # none between: high == low
        rows = prefix[sents]  # [G, L + 1, W]
        width = rows.shape[-1]

        def take(index: torch.Tensor) -> torch.Tensor:
            return rows.gather(1, index[:, :, None].expand(-1, -1, width))

        # log1p keeps a long stretch's sums in range while still counting.
        return self.between_out(torch.log1p(take(high) - take(low)))
