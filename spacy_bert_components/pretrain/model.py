"""The masked-language model: loaded from an encoder folder (with a new head
where the folder has none), its loss, and saving it as an encoder folder."""
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import torch
from torch import nn

from .masking import IGNORE_INDEX


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """transformers warns about every head weight it initialises ("You should
    probably TRAIN this model"): here that is the plan (`metrics.json` records
    `new_head`)."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def load_masked_lm(encoder_dir: Path, *, seed: int) -> Tuple[Any, Dict[str, torch.Tensor], bool]:
    """Load `BertForMaskedLM` from an encoder folder. The encoder's weights
    come from the folder; an MLM head (`cls.predictions`) too where the folder
    has one, else it is freshly initialised (seeded), its decoder tied to the
    word embeddings as in BERT.

    encoder_dir (Path): A Hugging Face BERT folder (BertModel or
        BertForMaskedLM weights).
    seed (int): Seed of a new head.
    RETURNS (Tuple[BertForMaskedLM, Dict[str, torch.Tensor], bool]): The
        model, the encoder's pooler weights (BertForMaskedLM has no pooler;
        they are saved back unchanged so the output loads as a complete
        BertModel), and whether the head is new.
    """
    from safetensors.torch import load_file
    from transformers import BertForMaskedLM

    from ..encoder.resolve import weights_file

    torch.manual_seed(seed)
    with _quiet_transformers():
        model, info = BertForMaskedLM.from_pretrained(str(encoder_dir), output_loading_info=True)
    new_head = any(key.startswith("cls.") for key in info["missing_keys"])
    missing_encoder = [key for key in info["missing_keys"] if not key.startswith("cls.")]
    if missing_encoder:
        raise ValueError(f"{encoder_dir}: not a BERT encoder, missing weights {missing_encoder[:3]}")
    path = weights_file(Path(encoder_dir))
    state = load_file(str(path)) if path.suffix == ".safetensors" else torch.load(str(path), weights_only=True)
    pooler = {}
    for key, value in state.items():
        if ".pooler." in f".{key}":
            pooler[key if key.startswith("bert.") else f"bert.{key}"] = value
    return model, pooler, new_head


class MaskedLMLoss(nn.Module):
    """Mean cross-entropy over the masked pieces. The prediction head runs on
    those pieces only: over a vocabulary of 30k, scoring every position costs
    as much again as the encoder itself."""

    def __init__(self, masked_lm: Any) -> None:
        super().__init__()
        self.masked_lm = masked_lm

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """RETURNS (Tuple[torch.Tensor, torch.Tensor]): The mean loss and the
        number of masked pieces it is the mean of."""
        hidden = self.masked_lm.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        chosen = labels != IGNORE_INDEX
        logits = self.masked_lm.cls(hidden[chosen])
        targets = labels[chosen]
        loss = nn.functional.cross_entropy(logits.float(), targets, reduction="mean")
        return loss, targets.new_tensor(targets.numel())


def save_encoder(masked_lm: Any, pooler: Dict[str, torch.Tensor], tokenizer: Any, output: Path) -> None:
    """Write the model as a Hugging Face folder: config, tokenizer files and
    `model.safetensors` with the encoder (`bert.*`, pooler included) and the
    MLM head (`cls.*`). `AutoModel` (spacy-transformers, every encoder `name`)
    loads the BertModel from it; `BertForMaskedLM` loads the head too, so a
    later `spacy-bert pretrain --encoder OUTPUT` continues with it.
    """
    output.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().float().contiguous() for key, value in masked_lm.state_dict().items()}
    state.update({key: value.float().contiguous() for key, value in pooler.items()})
    masked_lm.save_pretrained(str(output), state_dict=state, safe_serialization=True)
    tokenizer.save_pretrained(str(output))
