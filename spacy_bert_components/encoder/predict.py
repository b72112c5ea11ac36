"""The encoder's prediction pass: windows sorted by length, batched by size.

spacy-transformers' forward pass encodes a batch's windows in one call,
padded to the longest window of the batch. For prediction this pass sorts
the windows by wordpiece length and encodes them in sub-batches of similar
length (at most `batch_positions` padded positions each), so the padding
computed is close to none, then puts the outputs back in the batch's order,
in the `FullTransformerBatch` layout the listeners read. The numbers are the
same (padding is masked out of attention), the work is less.

Windows from `sentence_windows` come with their wordpieces, cut out of the
docs' tokenization that packed them (`window_encoding.py`): each text is
tokenized once. Other span getters' windows are tokenized here.

Training still goes through spacy-transformers' forward pass, which keeps
the graph for the backward pass.
"""

from typing import Any, List, Optional, Tuple

import numpy
from spacy.tokens import Doc
from spacy_transformers.align import get_alignment
from spacy_transformers.data_classes import FullTransformerBatch, WordpieceBatch
from spacy_transformers.layers.transformer_model import huggingface_tokenize
from spacy_transformers.truncate import truncate_oversize_splits
from transformers import BatchEncoding, PreTrainedTokenizerFast
from transformers.modeling_outputs import BaseModelOutput

from ..layers.length_batches import length_batches
from .alignment import offset_alignment
from .windows import SentenceWindows

# Padded wordpiece positions per encoder call. On CPU at one thread (windows
# of 256), fp32 is fastest in calls of 4,096 positions (16 windows): larger
# calls' attention scores outgrow the caches (64 windows: 10-20% slower);
# bf16 (AMX) is fastest in calls of 16,384; a GPU wants large calls.
CPU_BATCH_POSITIONS = {"fp32": 4096, "bf16": 16384}
GPU_BATCH_POSITIONS = 16384
# Most padding an encoder call may carry (share of its positions).
MAX_PADDING = 0.1


def bind_span_tokenizer(model: Any) -> None:
    """Give a span getter that counts wordpieces (`sentence_windows`) the
    encoder's tokenizer."""
    get_spans = model.attrs["get_spans"]
    if hasattr(get_spans, "bind_tokenizer"):
        get_spans.bind_tokenizer(model.tokenizer)


def predict_sorted(model: Any, docs: List[Doc], transformer: Any) -> FullTransformerBatch:
    """Encode `docs` for prediction with `transformer` (a torch module: the
    encoder's fp32 model or its bf16 copy).

    RETURNS (FullTransformerBatch): What spacy-transformers' forward pass returns.
    """
    tokenizer = model.tokenizer
    get_spans = model.attrs["get_spans"]
    if isinstance(get_spans, SentenceWindows):
        nested_spans, encoding = get_spans.windows_and_encoding(docs)
    else:
        nested_spans, encoding = get_spans(docs), None
    flat_spans = [span for doc_spans in nested_spans for span in doc_spans]
    if encoding is None:
        encoding = tokenize(tokenizer, [span.text for span in flat_spans])
    wordpieces = WordpieceBatch.from_batch_encoding(encoding)
    if "offset_mapping" in encoding:
        align = offset_alignment(flat_spans, encoding["offset_mapping"])
    else:
        align = get_alignment(flat_spans, wordpieces.strings, tokenizer.all_special_tokens)
    wordpieces, align = truncate_oversize_splits(wordpieces, align, tokenizer.model_max_length)
    output = encode_sorted(transformer, wordpieces)
    return FullTransformerBatch(spans=nested_spans, wordpieces=wordpieces, model_output=output, align=align)


def tokenize(tokenizer: Any, texts: List[str]) -> BatchEncoding:
    """spacy-transformers' `huggingface_tokenize`; with a fast tokenizer, the
    wordpiece strings come from its encodings instead of a vocabulary
    lookup per wordpiece."""
    if not isinstance(tokenizer, PreTrainedTokenizerFast):
        return huggingface_tokenize(tokenizer, texts)
    encoding = tokenizer(
        texts,
        add_special_tokens=True,
        return_attention_mask=True,
        return_offsets_mapping=True,
        return_tensors="np",
        return_token_type_ids=None,
        padding="longest",
    )
    encoding["input_texts"] = [list(e.tokens) for e in encoding.encodings]
    encoding["pad_token"] = tokenizer.pad_token
    return encoding


def batch_positions(transformer: Any) -> int:
    """RETURNS (int): Padded wordpiece positions per encoder call for
    `transformer`, by its device and weights' precision."""
    import torch

    weights = next(transformer.parameters())
    if weights.device.type != "cpu":
        return GPU_BATCH_POSITIONS
    return CPU_BATCH_POSITIONS["bf16" if weights.dtype == torch.bfloat16 else "fp32"]


def encode_sorted(transformer: Any, wordpieces: WordpieceBatch, max_positions: Optional[int] = None) -> BaseModelOutput:
    import torch

    device = next(transformer.parameters()).device
    max_positions = max_positions or batch_positions(transformer)
    input_ids = torch.as_tensor(numpy.asarray(wordpieces.input_ids), device=device)
    attention_mask = torch.as_tensor(numpy.asarray(wordpieces.attention_mask), device=device).long()
    token_types = wordpieces.token_type_ids
    type_ids = torch.as_tensor(numpy.asarray(token_types), device=device) if token_types is not None else None
    lengths = numpy.asarray(wordpieces.attention_mask).sum(axis=1).astype("int64")
    n_rows, n_positions = input_ids.shape
    states: Optional[List[Any]] = None
    with torch.inference_mode():
        for rows in length_batches(lengths, max_positions, MAX_PADDING):
            width = max(int(lengths[rows[-1]]), 1)
            index = torch.as_tensor(rows, device=device)
            kwargs = {"input_ids": input_ids[index, :width], "attention_mask": attention_mask[index, :width]}
            if type_ids is not None:
                kwargs["token_type_ids"] = type_ids[index, :width]
            out = transformer(**kwargs)
            found: Tuple[Any, ...] = out.hidden_states or (out.last_hidden_state,)
            if states is None:
                states = [
                    torch.empty((n_rows, n_positions, h.shape[-1]), dtype=torch.float32, device=device) for h in found
                ]
            for state, hidden in zip(states, found):
                state[index, :width] = hidden.float()
                if width < n_positions:
                    state[index, width:] = 0.0  # padding: zeros, not what the memory held
    assert states is not None
    if len(states) == 1:
        return BaseModelOutput(last_hidden_state=states[0])
    return BaseModelOutput(last_hidden_state=states[-1], hidden_states=tuple(states))
