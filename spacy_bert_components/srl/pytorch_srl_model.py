"""The PyTorch part of the SRL head: predicate identifier, per-predicate BIO
role tagger with argument-head scores, and roleset classifier.

The sentence is encoded once (token vectors from the shared encoder, already
projected to `hidden` by a thinc layer); each predicate then enters through
its own inputs: every token's vector concatenated with the predicate's vector,
a predicate indicator and a clipped relative-position embedding, run through a
small BiLSTM. No re-encoding of the sentence per predicate.
"""

from typing import Optional, Tuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def scatter(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """RETURNS (Tensor[B, L, D]): Per-token `values` [N, D] (the real tokens
    of `mask` [B, L], in order) in place, zeros at the padding."""
    padded = values.new_zeros((*mask.shape, values.shape[-1]))
    padded[mask] = values
    return padded


def padded_rows(mask: torch.Tensor) -> torch.Tensor:
    """RETURNS (Tensor[B, L]): For each position of `mask` [B, L], its row in
    the flat per-token rows of the real tokens; N (one past the last) at the
    padding, where `with_zero_row` puts zeros."""
    n = int(mask.sum())
    rows = torch.full(mask.shape, n, dtype=torch.long, device=mask.device)
    rows[mask] = torch.arange(n, device=mask.device)
    return rows


def with_zero_row(values: torch.Tensor) -> torch.Tensor:
    """RETURNS (Tensor[N + 1, D]): `values` [N, D] and a row of zeros."""
    return torch.cat([values, values.new_zeros((1, values.shape[-1]))])


def flat_positions(lengths: torch.Tensor, sents: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """RETURNS (Tensor[P]): Where the tokens (sentence, position) are in the
    flat per-token rows of the sentences' real tokens (`lengths` [B])."""
    return torch.cumsum(lengths, dim=0)[sents] - lengths[sents] + positions


def offset_ids(length: int, positions: torch.Tensor, max_distance: int) -> torch.Tensor:
    """RETURNS (Tensor[G, length]): Each token's offset from its predicate at
    `positions` [G], clipped to +-max_distance, as rows 0..2 * max_distance
    of an offset table, and row 2 * max_distance + 1 for the predicate itself."""
    offsets = torch.arange(length, device=positions.device)[None, :] - positions[:, None]
    ids = offsets.clamp(-max_distance, max_distance) + max_distance
    return torch.where(offsets == 0, torch.full_like(ids, 2 * max_distance + 1), ids)


class PredicateHead(nn.Module):
    """What every SRL head shares: normalized token vectors, the predicate
    identifier, the roleset classifier and the forward pass around them.
    Subclasses label each predicate's frame (`label_frames`: `SRLHead` here,
    `conv_head.SRLConvHead`, `top_layers_head.SRLTopLayersHead`)."""

    def __init__(self, hidden: int, n_tags: int, n_senses: int, dropout: float) -> None:
        super().__init__()
        self.n_tags = n_tags
        self.n_senses = n_senses
        self.norm = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(dropout)
        self.predicate_scorer = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1)
        )

    def forward(
        self,
        X: torch.Tensor,
        lengths: torch.Tensor,
        pred_sent: Optional[torch.Tensor],
        pred_pos: Optional[torch.Tensor],
        threshold: float = 0.0,
    ) -> Tuple[torch.Tensor, ...]:
        """X (Tensor[B, L, H]): Sentence token vectors, padded.
        lengths (Tensor[B]): Sentence lengths.
        pred_sent, pred_pos (Optional[Tensor[P]]): Predicates (sentence, position)
            to label; None: use those the identifier finds (logit > threshold).
        RETURNS: predicate logits [B, L], role+head scores [P, L, n_tags + 1],
            sense logits [P, n_senses] (in training; [P, 0] in prediction),
            pred_sent [P], pred_pos [P], the sense layer's input [P, F], and
            the sense layer's weight and bias (`sense_parameters`).
        """
        flat, mask, pred_logits, pred_sent, pred_pos = self.find_predicates(X, lengths, pred_sent, pred_pos, threshold)
        if pred_sent.shape[0] == 0:
            return self.no_frames(pred_logits, pred_sent, pred_pos)
        Xv = flat[flat_positions(lengths, pred_sent, pred_pos)]  # [P, H]
        roles, at_predicate = self.label_frames(X, flat, mask, lengths, pred_sent, pred_pos, Xv)
        features = torch.cat([at_predicate, Xv], dim=-1)
        return (
            pred_logits,
            roles,
            self.classify_senses(features),
            pred_sent,
            pred_pos,
            features,
            *self.sense_parameters(),
        )

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
        """Label the frame of each predicate (at least one).

        X (Tensor[B, L, H]): The input token vectors, padded.
        flat (Tensor[N, H]): The normalized vectors of the real tokens.
        mask (Tensor[B, L]): The real tokens.
        lengths (Tensor[B]): Sentence lengths.
        pred_sent, pred_pos (Tensor[P]): The predicates (sentence, position).
        Xv (Tensor[P, H]): The predicates' normalized vectors.
        RETURNS: role+head scores [P, L, n_tags + 1] (only each frame's own
            sentence is read), and each predicate's own vector in the
            frame [P, F - H], the roleset classifier's input beside `Xv`.
        """
        raise NotImplementedError

    def find_predicates(
        self,
        X: torch.Tensor,
        lengths: torch.Tensor,
        pred_sent: Optional[torch.Tensor],
        pred_pos: Optional[torch.Tensor],
        threshold: float,
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """RETURNS: the normalized vectors of the real tokens, flat [N, H]
        (sentence by sentence: `X[mask]`), the token mask [B, L], the
        predicate logits [B, L], and the predicates to label (sentence,
        position): the given ones, or those scored above `threshold`.
        Per-token work runs on the real tokens only: padded to the longest
        sentence of a batch, most positions of ordinary text are padding."""
        mask = torch.arange(X.shape[1], device=X.device)[None, :] < lengths[:, None]
        flat = self.dropout(self.norm(X[mask]))
        pred_logits = scatter(self.predicate_scorer(flat), mask).squeeze(-1)
        if pred_sent is None or pred_pos is None:
            chosen = (pred_logits.detach() > threshold) & mask
            pred_sent, pred_pos = chosen.nonzero(as_tuple=True)
        return flat, mask, pred_logits, pred_sent, pred_pos

    def no_frames(
        self, pred_logits: torch.Tensor, pred_sent: torch.Tensor, pred_pos: torch.Tensor
    ) -> Tuple[torch.Tensor, ...]:
        """RETURNS: `forward`'s result when there is no predicate to label."""
        L = pred_logits.shape[1]
        features = pred_logits.new_zeros((0, self.sense.in_features))
        return (
            pred_logits,
            pred_logits.new_zeros((0, L, self.n_tags + 1)),
            self.classify_senses(features),
            pred_sent,
            pred_pos,
            features,
            *self.sense_parameters(),
        )

    def sense_parameters(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """RETURNS: The roleset classifier's weight [n_senses, F] and bias
        [n_senses], returned with every batch's scores (the component scores
        each predicate's candidate rolesets with them)."""
        return self.sense.weight.detach()[: self.n_senses], self.sense.bias.detach()[: self.n_senses]

    def classify_senses(self, features: torch.Tensor) -> torch.Tensor:
        """RETURNS (Tensor[P, n_senses]): Roleset logits in training, where the
        loss needs all of them; empty [P, 0] in prediction, where the
        component scores only the few rolesets seen with each predicate's
        word (`sense_features` and the `sense` layer's weights): with
        thousands of rolesets the full product is a fifth of the head's time."""
        if not self.training:
            return features.new_zeros((features.shape[0], 0))
        return self.sense(features)[:, : self.n_senses]


class SRLHead(PredicateHead):
    def __init__(
        self,
        hidden: int,
        n_tags: int,
        n_senses: int,
        *,
        lstm_depth: int = 1,
        position_size: int = 16,
        max_distance: int = 32,
        dropout: float = 0.1,
    ) -> None:
        super().__init__(hidden, n_tags, n_senses, dropout)
        self.max_distance = max_distance
        self.indicator = nn.Embedding(2, position_size)
        self.distance = nn.Embedding(2 * max_distance + 1, position_size)
        self.frame_input = nn.Linear(2 * hidden + 2 * position_size, hidden)
        self.lstm = nn.LSTM(
            hidden,
            hidden // 2,
            num_layers=lstm_depth,
            bidirectional=True,
            batch_first=True,
            dropout=dropout if lstm_depth > 1 else 0.0,
        )
        # n_tags BIO role scores plus one argument-head score per token.
        self.tagger = nn.Sequential(
            nn.Linear(2 * (hidden // 2), hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_tags + 1)
        )
        self.sense = nn.Linear(2 * (hidden // 2) + hidden, max(n_senses, 1))

    def _frame_input(
        self, X: torch.Tensor, Xv: torch.Tensor, pred_sent: torch.Tensor, offsets: torch.Tensor
    ) -> torch.Tensor:
        """`frame_input` applied to [token; predicate; indicator; distance]
        for every (predicate, token), computed without building that
        [P, L, 2H + 2S] input: a linear layer over a concatenation is the sum
        of its column blocks applied to each part, so the token part is
        computed once per token, the predicate part once per predicate and
        the embeddings' parts once per table row. Same function and weights
        as the concatenation; several times less work per predicate.
        RETURNS (Tensor[P, L, H]): The pre-activation frame input."""
        H, S = X.shape[-1], self.indicator.embedding_dim
        W, b = self.frame_input.weight, self.frame_input.bias
        token_part = torch.nn.functional.linear(X, W[:, :H])  # [B, L, H]
        predicate_part = torch.nn.functional.linear(Xv, W[:, H : 2 * H], b)  # [P, H]
        indicator_rows = self.indicator.weight @ W[:, 2 * H : 2 * H + S].T  # [2, H]
        distance_rows = self.distance.weight @ W[:, 2 * H + S :].T  # [2 * max_distance + 1, H]
        distance_ids = offsets.clamp(-self.max_distance, self.max_distance) + self.max_distance
        return (
            token_part[pred_sent]
            + predicate_part[:, None, :]
            + indicator_rows[(offsets == 0).long()]
            + distance_rows[distance_ids]
        )

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
        """A BiLSTM over each predicate's tokens; see `PredicateHead.label_frames`."""
        L = X.shape[1]
        P = pred_sent.shape[0]
        X = scatter(flat, mask)
        offsets = torch.arange(L, device=X.device)[None, :] - pred_pos[:, None]
        h = torch.relu(self._frame_input(X, Xv, pred_sent, offsets))
        frame_lengths = lengths[pred_sent].cpu()
        packed = pack_padded_sequence(h, frame_lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=L)
        out = self.dropout(out)
        return self.tagger(out), out[torch.arange(P, device=X.device), pred_pos]
