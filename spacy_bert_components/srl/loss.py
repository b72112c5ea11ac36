"""The SRL training signal: gold frames aligned to the predicted tokens, and
the loss of the model's scores against them (predicates, BIO roles, argument
heads and rolesets)."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.training import Example
from thinc.api import Ops

from ..arrays import sigmoid, to_numpy
from .decode import log_softmax, spans_to_tags
from .frames import FrameData, has_frames, read_frames
from .model import SRLScores
from .rolesets import RolesetIndex

EPS = 1e-8


def aligned_gold(example: Example, key: str) -> Optional[List[FrameData]]:
    """RETURNS (Optional[List[FrameData]]): The reference's frames in the
    predicted doc's tokens; None when the reference has no SRL annotation
    under `key` (e.g. an example from another task's data)."""
    ref = example.reference
    if not has_frames(ref, key):
        return None
    gold = read_frames(ref, key)
    pred = example.predicted
    if len(pred) == len(ref) and all(a.text == b.text for a, b in zip(pred, ref)):
        return gold
    y2x = example.alignment.y2x

    def x_tokens(start: int, end: int) -> List[int]:
        return [int(x) for i in range(start, end) for x in y2x[i]]

    aligned = []
    for frame in gold:
        pred_tokens = x_tokens(*frame.predicate)
        if not pred_tokens:
            continue
        arguments = []
        for role, start, end, head in frame.arguments:
            span_tokens = x_tokens(start, end)
            head_tokens = x_tokens(head, head + 1)
            if span_tokens and head_tokens:
                arguments.append((role, min(span_tokens), max(span_tokens) + 1, head_tokens[0]))
        aligned.append(FrameData((pred_tokens[0], pred_tokens[0] + 1), frame.roleset, arguments))
    return aligned


def _binary_cross_entropy(
    logits: numpy.ndarray, target: numpy.ndarray, weight: Any = 1.0
) -> Tuple[float, numpy.ndarray]:
    """RETURNS: The summed weighted cross-entropy of sigmoid(logits) and its
    gradient with respect to the logits."""
    prob = sigmoid(logits)
    loss = -(weight * (target * numpy.log(prob + EPS) + (1 - target) * numpy.log(1 - prob + EPS))).sum()
    return float(loss), (prob - target) * weight


def _softmax_cross_entropy(logits: numpy.ndarray, target: Any) -> Tuple[float, numpy.ndarray]:
    """RETURNS: The summed cross-entropy of each row's softmax (logits [N, C])
    against its target index (target [N]), and its gradient."""
    logp = log_softmax(logits)
    rows = numpy.arange(logits.shape[0])
    d = numpy.exp(logp)
    d[rows, target] -= 1.0
    return float(-logp[rows, target].sum()), d


def srl_loss(
    scores: SRLScores, gold: Sequence[Optional[List[FrameData]]], index: RolesetIndex, ops: Ops
) -> Tuple[float, Tuple[Any, Any, Any]]:
    """The loss of a batch's scores and their gradient.

    Predicates are scored on every token of every sentence with SRL gold
    (docs without it give no signal, not even "no predicate here"); roles,
    argument heads and rolesets on each gold predicate, which the model was
    run on. Each part is a mean: per annotated sentence, per predicate.

    scores (SRLScores): The model's output on the gold predicates.
    gold (Sequence[Optional[List[FrameData]]]): Aligned gold frames per doc.
    index (RolesetIndex): The component's roles and rolesets.
    ops (Ops): The model's ops, for the gradients' arrays.
    RETURNS (Tuple[float, Tuple[Any, Any, Any]]): The loss, and the gradients
        of the predicate, role and roleset scores.
    """
    n_tags = index.n_tags
    pred = to_numpy(scores.predicate)
    role_scores = to_numpy(scores.roles)
    sense_scores = to_numpy(scores.senses)
    d_pred = numpy.zeros_like(pred)
    d_roles = numpy.zeros_like(role_scores)
    d_senses = numpy.zeros_like(sense_scores)
    loss = 0.0
    target = numpy.zeros_like(pred)
    weight = numpy.zeros_like(pred)
    for b, (i, s, e) in enumerate(scores.sents):
        if gold[i] is None:
            continue
        weight[b, : e - s] = 1.0
        for frame in gold[i]:
            t = frame.predicate[0]
            if s <= t < e:
                target[b, t - s] = 1.0
    n_sents = max(1.0, float((weight.sum(axis=1) > 0).sum()))
    if pred.size:
        part, d = _binary_cross_entropy(pred, target, weight)
        loss += part / n_sents
        d_pred = d / n_sents
    frame_at: Dict[Tuple[int, int], FrameData] = {}
    for i, frames in enumerate(gold):
        for frame in frames or []:
            frame_at[(i, frame.predicate[0])] = frame
    pred_sent = to_numpy(scores.pred_sent)
    pred_pos = to_numpy(scores.pred_pos)
    n_pred = max(1.0, float(len(pred_sent)))
    for p in range(len(pred_sent)):
        i, s, e = scores.sents[int(pred_sent[p])]
        pos = int(pred_pos[p])
        frame = frame_at.get((i, s + pos))
        if frame is None:
            continue
        n = e - s
        inside = [(r, a - s, b - s) for r, a, b, _ in frame.arguments if s <= a and b <= e and not (a <= s + pos < b)]
        tags = spans_to_tags(inside, n, index.role_index)
        part, d = _softmax_cross_entropy(role_scores[p, :n, :n_tags], tags)
        loss += part / n_pred
        d_roles[p, :n, :n_tags] = d / n_pred
        head_target = numpy.zeros((n,), dtype="f")
        for r, _start, _end, h in frame.arguments:
            if s <= h < e and r in index.role_index:
                head_target[h - s] = 1.0
        part, d = _binary_cross_entropy(role_scores[p, :n, n_tags], head_target)
        loss += part / n_pred
        d_roles[p, :n, n_tags] = d / n_pred
        if frame.roleset in index.roleset_index and sense_scores.size:
            part, d = _softmax_cross_entropy(sense_scores[p][None], [index.roleset_index[frame.roleset]])
            loss += part / n_pred
            d_senses[p] = d[0] / n_pred
    return loss, (ops.asarray(d_pred), ops.asarray(d_roles), ops.asarray(d_senses))
