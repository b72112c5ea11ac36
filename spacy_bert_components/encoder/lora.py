"""Low-rank adapters (LoRA) for the encoder's linear layers, in plain torch.

`W x + (alpha / r) * B A x` with `A` (r x in) and `B` (out x r), `B` starting
at zero so an adapted encoder starts out as the packaged one. Only `A` and `B`
train; the packaged weights stay frozen. Written here rather than taken from
`peft`, whose current releases track newer transformers than spacy-transformers
1.4 allows: this is the forty lines the job needs.
"""

import math
from typing import Dict, Iterable, Tuple

import torch
from torch import nn

# Query/value projections are LoRA's classic targets ("query"/"value" in
# BERT and RoBERTa, "attn.q"/"attn.v" in MPNet); the feed-forward
# projections add capacity for token tasks at little cost.
DEFAULT_LORA_TARGETS: Tuple[str, ...] = ("query", "value", "attn.q", "attn.v", "intermediate.dense", "output.dense")


class LoRALinear(nn.Module):
    """A frozen `nn.Linear` plus a trainable low-rank update."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        for param in self.base.parameters():
            param.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling

    def merged_weight(self) -> torch.Tensor:
        return self.base.weight + (self.lora_B @ self.lora_A) * self.scaling


def add_lora(model: nn.Module, rank: int, alpha: float, targets: Iterable[str]) -> int:
    """Freeze `model` and wrap every linear layer whose qualified name ends with
    one of `targets` in a `LoRALinear`. RETURNS (int): layers wrapped."""
    targets = tuple(targets)
    for param in model.parameters():
        param.requires_grad_(False)
    chosen = [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and any(name == t or name.endswith("." + t) for t in targets)
    ]
    for name in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoRALinear(getattr(parent, child), rank, alpha))
    if not chosen:
        raise ValueError(f"No linear layer of the encoder matches lora_targets {list(targets)}.")
    return len(chosen)


def lora_state_dict(model: nn.Module) -> Dict[str, torch.Tensor]:
    """RETURNS (Dict[str, torch.Tensor]): The adapter parameters only."""
    return {k: v for k, v in model.state_dict().items() if ".lora_" in k}


def merged_state_dict(model: nn.Module) -> Dict[str, torch.Tensor]:
    """RETURNS (Dict[str, torch.Tensor]): A plain state dict, adapters folded
    into the weights, loadable into the unadapted architecture."""
    merged: Dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if isinstance(module, LoRALinear):
            merged[f"{name}.weight"] = module.merged_weight().detach()
            if module.base.bias is not None:
                merged[f"{name}.bias"] = module.base.bias.detach()
    for key, value in model.state_dict().items():
        if ".lora_" in key or ".base." in key:
            continue
        merged.setdefault(key, value)
    return merged
