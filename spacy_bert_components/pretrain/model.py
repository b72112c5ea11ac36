"""The masked-language model: loaded from an encoder folder (with a new head
where the folder has none), its loss, and saving it as an encoder folder."""

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import torch
from torch import nn

from .masking import IGNORE_INDEX

# Attribute names of the prediction head in transformers' masked-language models.
MLM_HEAD_NAMES = ("cls", "lm_head")


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
    """Load the masked-language model of an encoder folder's architecture
    (`BertForMaskedLM`, `MPNetForMaskedLM`, `RobertaForMaskedLM`...). The
    encoder's weights come from the folder; an MLM head too where the folder
    has one, else it is freshly initialised (seeded), its decoder tied to the
    word embeddings.

    encoder_dir (Path): A Hugging Face encoder folder (base model or masked
        language model weights).
    seed (int): Seed of a new head.
    RETURNS (Tuple[Any, Dict[str, torch.Tensor], bool]): The model, the
        encoder's pooler weights (the masked-language models have no pooler;
        they are saved back unchanged so the output loads as a complete base
        model), and whether the head is new.
    """
    from safetensors.torch import load_file
    from transformers import AutoModelForMaskedLM

    from ..encoder.resolve import weights_file

    torch.manual_seed(seed)
    with _quiet_transformers():
        model, info = AutoModelForMaskedLM.from_pretrained(str(encoder_dir), output_loading_info=True)
    prefix = f"{model.base_model_prefix}."  # "bert.", "mpnet.", "roberta."
    new_head = any(not key.startswith(prefix) for key in info["missing_keys"])
    missing_encoder = [key for key in info["missing_keys"] if key.startswith(prefix)]
    if missing_encoder:
        raise ValueError(
            f"{encoder_dir}: not a complete {model.config.model_type} encoder, missing weights {missing_encoder[:3]}"
        )
    path = weights_file(Path(encoder_dir))
    state = load_file(str(path)) if path.suffix == ".safetensors" else torch.load(str(path), weights_only=True)
    pooler = {}
    for key, value in state.items():
        if ".pooler." in f".{key}":
            pooler[key if key.startswith(prefix) else f"{prefix}{key}"] = value
    return model, pooler, new_head


def mlm_head(masked_lm: Any) -> Any:
    """RETURNS (Any): The prediction head of a masked-language model: `cls`
    in BERT, `lm_head` in MPNet and RoBERTa; hidden states in, vocabulary
    scores out."""
    for name in MLM_HEAD_NAMES:
        if hasattr(masked_lm, name):
            return getattr(masked_lm, name)
    raise ValueError(f"{type(masked_lm).__name__}: no MLM head ({' or '.join(MLM_HEAD_NAMES)})")


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
        hidden = self.masked_lm.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        chosen = labels != IGNORE_INDEX
        logits = mlm_head(self.masked_lm)(hidden[chosen])
        targets = labels[chosen]
        loss = nn.functional.cross_entropy(logits.float(), targets, reduction="mean")
        return loss, targets.new_tensor(targets.numel())


def save_encoder(masked_lm: Any, pooler: Dict[str, torch.Tensor], tokenizer: Any, output: Path) -> None:
    """Write the model as a Hugging Face folder: config, tokenizer files and
    `model.safetensors` with the encoder (`bert.*`, pooler included) and the
    MLM head (`cls.*`; `mpnet.*` and `lm_head.*` for MPNet...). `AutoModel`
    (spacy-transformers, every encoder `name`) loads the base model from it;
    `AutoModelForMaskedLM` loads the head too, so a later
    `spacy-bert pretrain --encoder OUTPUT` continues with it.
    """
    output.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().float().contiguous() for key, value in masked_lm.state_dict().items()}
    state.update({key: value.float().contiguous() for key, value in pooler.items()})
    masked_lm.save_pretrained(str(output), state_dict=state, safe_serialization=True)
    tokenizer.save_pretrained(str(output))
