"""The predicate-aware SRL head (`SRLTopLayersModel.v1`): the encoder's top
layers run again for every predicate, with the predicate marked.

The shared encoder never sees which word is the predicate: it encodes each
sentence once, for every head. Strong SRL models encode the sentence once per
predicate with the predicate marked in the input, so that attention in every
layer is conditioned on it. This head does that for the top layers only. The
lower layers' output is computed once per sentence by the shared frozen
encoder (the listener's layer mix, started on the hidden state the copied
layers read). The head holds its own trainable copy of the encoder's last
`top_layers` transformer layers, initialized from the encoder's weights and
trained at a fraction of the head's rate, and runs them over each
predicate's sentence with the predicate marked: a learned embedding of each
token's clipped offset from the predicate (its own row for the predicate)
added to every token's vector.

Per predicate this costs `top_layers / n_layers` of an encoder pass over the
sentence: a head for the strongest config, not for the default pipeline's
throughput budget. Same inputs and outputs as `SRLHead`.
"""

from typing import Any, Dict, Optional, Tuple

import torch
from thinc.api import Optimizer, PyTorchShim
from torch import nn

from ..layers.length_batches import length_batches
from ..layers.scaled_rate import ScaledRate
from .pytorch_srl_model import PredicateHead, offset_ids

# Predicate x token positions per group: the layers' [group, tokens, 4 x
# hidden] intermediate stays within a few tens of MB.
GROUP_POSITIONS = 8192


def layer_config(encoder_config: Dict[str, Any]) -> Any:
    """encoder_config (Dict[str, Any]): The encoder's Hugging Face
        configuration, as `PretrainedConfig.to_dict()` gives it.
    RETURNS (BertConfig): The configuration of the copied layers: the
        encoder's, with PyTorch's fused attention (what the shared encoder
        runs with).
    """
    from transformers import BertConfig

    if encoder_config.get("model_type") != "bert":
        raise ValueError(
            "SRLTopLayersModel copies BERT layers, but the shared encoder is a "
            f"{encoder_config.get('model_type')!r} model: use SRLConvModel.v1 "
            "or SRLBiLSTMModel.v1 with it."
        )
    settings = {k: v for k, v in encoder_config.items() if k != "model_type"}
    return BertConfig(**settings, attn_implementation="sdpa")


class SRLTopLayersHead(PredicateHead):
    """The head; its width is the encoder's (`hidden`, the other heads'
    projection width, is not used: there is no projection)."""

    def __init__(
        self,
        hidden: Optional[int],
        n_tags: int,
        n_senses: int,
        *,
        encoder_config: Dict[str, Any],
        top_layers: int = 2,
        layers_lr_scale: float = 0.1,
        max_distance: int = 32,
        dropout: float = 0.1,
    ) -> None:
        """encoder_config (Dict[str, Any]): The shared encoder's Hugging Face
            configuration (`PretrainedConfig.to_dict()`), which the copied
            layers share.
        Other settings as in `SRLTopLayersModel.v1`."""
        from transformers.models.bert.modeling_bert import BertLayer

        config = layer_config(encoder_config)
        if not 1 <= top_layers <= config.num_hidden_layers:
            raise ValueError(
                f"top_layers must be between 1 and the encoder's {config.num_hidden_layers} layers, not {top_layers}."
            )
        super().__init__(config.hidden_size, n_tags, n_senses, dropout)
        self.n_encoder_layers = config.num_hidden_layers
        self.layers_lr_scale = layers_lr_scale
        self.layers = nn.ModuleList(BertLayer(config) for _ in range(top_layers))
        self.max_distance = max_distance
        # Offsets -max..max, then one row for the predicate's own token; as
        # small at the start as BERT's own embeddings.
        self.offset = nn.Embedding(2 * max_distance + 2, config.hidden_size)
        nn.init.normal_(self.offset.weight, std=config.initializer_range)
        hidden = config.hidden_size
        # n_tags BIO role scores plus one argument-head score per token.
        self.tagger = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_tags + 1)
        )
        self.sense = nn.Linear(2 * hidden, max(n_senses, 1))

    def copy_encoder_layers(self, encoder: nn.Module) -> None:
        """Start the layers from the encoder's last `top_layers` layers.

        encoder (nn.Module): The shared encoder (a Hugging Face `BertModel`).
        """
        for mine, theirs in zip(self.layers, encoder.encoder.layer[-len(self.layers) :]):
            mine.load_state_dict(theirs.state_dict())

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
        """The copied encoder layers over each predicate's marked sentence; see `PredicateHead.label_frames`."""
        # The layers read the mix as it is (X): the normalization of `flat`
        # is not what they were trained on.
        L = X.shape[1]
        P = pred_sent.shape[0]
        roles = X.new_empty((P, L, self.n_tags + 1))
        at_predicate = X.new_zeros((P, X.shape[-1]))
        frame_lengths = lengths[pred_sent]
        groups = length_batches(frame_lengths.cpu().numpy(), max_positions=GROUP_POSITIONS, max_padding=0.2)
        for rows in groups:
            group = torch.as_tensor(rows, device=X.device)
            Lg = int(frame_lengths[group].max())
            sents, positions = pred_sent[group], pred_pos[group]
            at = torch.arange(group.numel(), device=X.device)
            h = X[sents, :Lg] + self.offset(offset_ids(Lg, positions, self.max_distance))
            # BERT's additive attention mask: padding gets the dtype's minimum.
            keep = mask[sents, :Lg][:, None, None, :]
            attention_mask = (~keep).to(h.dtype) * torch.finfo(h.dtype).min
            for layer in self.layers:
                h = layer(h, attention_mask=attention_mask)[0]
            h = self.dropout(h)
            roles[group, :Lg] = self.tagger(h)
            at_predicate[group] = h[at, positions]
        return roles, at_predicate


class LayerRateShim(PyTorchShim):
    """PyTorchShim whose module's copied encoder layers (`layers.*`) learn at
    `layers_lr_scale` times the optimizer's rate: pretrained transformer
    layers are fine-tuned at a small fraction of the rate a fresh head
    needs (as the encoder is, `encoder_lr_scale`)."""

    @property
    def head(self) -> "SRLTopLayersHead":
        """RETURNS (SRLTopLayersHead): The PyTorch head this shim runs."""
        return self._model

    def finish_update(self, optimizer: Optimizer) -> None:
        super().finish_update(ScaledRate(optimizer, float(self.head.layers_lr_scale), prefix="layers."))
