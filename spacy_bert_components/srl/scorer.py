"""Scores for semantic role labelling, compared by character offsets (so a
different tokenization of the predicted doc still scores).

- srl_p / srl_r / srl_f: labelled arguments, role and exact span right, for
  predicates the model found (a missed predicate loses all its arguments).
- srl_head_p / _r / _f: labelled argument heads (the Universal PropBank measure).
- srl_predicate_p / _r / _f: predicate identification.
- srl_sense_acc: rolesets right among predicates found in gold and prediction.
"""

from typing import Any, Dict, Iterable, Set, Tuple

from spacy.training import Example
from spacy.util import registry

from .frames import DEFAULT_SPANS_KEY, has_frames, read_frames


def _prf(tp: int, n_pred: int, n_gold: int, prefix: str) -> Dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {f"{prefix}_p": p, f"{prefix}_r": r, f"{prefix}_f": f}


def _tuples(doc, key: str):
    args: Set[Tuple] = set()
    heads: Set[Tuple] = set()
    predicates: Dict[int, Any] = {}
    for frame in read_frames(doc, key):
        pred = doc[frame.predicate[0]].idx
        predicates[pred] = frame.roleset
        for role, start, end, head in frame.arguments:
            span = doc[start:end]
            args.add((pred, role, span.start_char, span.end_char))
            heads.add((pred, role, doc[head].idx))
    return args, heads, predicates


def score_srl(examples: Iterable[Example], *, spans_key: str = DEFAULT_SPANS_KEY, **kwargs: Any) -> Dict[str, Any]:
    """Score SRL output against gold, over examples whose reference has SRL
    annotation.

    examples (Iterable[Example]): Predicted and gold docs.
    spans_key (str): The span group holding the frames.
    RETURNS (Dict[str, Any]): srl_p/r/f, srl_head_p/r/f, srl_predicate_p/r/f,
        srl_sense_acc (fractions; None where nothing could be scored).
    """
    counts = {k: [0, 0, 0] for k in ("srl", "srl_head", "srl_predicate")}
    sense_right = sense_total = 0
    n_scored = 0
    for eg in examples:
        if not has_frames(eg.reference, spans_key):
            continue
        n_scored += 1
        g_args, g_heads, g_preds = _tuples(eg.reference, spans_key)
        p_args, p_heads, p_preds = _tuples(eg.predicted, spans_key)
        for name, gold, pred in (
            ("srl", g_args, p_args),
            ("srl_head", g_heads, p_heads),
            ("srl_predicate", set(g_preds), set(p_preds)),
        ):
            counts[name][0] += len(gold & pred)
            counts[name][1] += len(pred)
            counts[name][2] += len(gold)
        for pred in set(g_preds) & set(p_preds):
            if g_preds[pred]:
                sense_total += 1
                sense_right += int(g_preds[pred] == p_preds[pred])
    if not n_scored:
        return {
            k: None
            for k in (
                "srl_p",
                "srl_r",
                "srl_f",
                "srl_head_p",
                "srl_head_r",
                "srl_head_f",
                "srl_predicate_p",
                "srl_predicate_r",
                "srl_predicate_f",
                "srl_sense_acc",
            )
        }
    scores: Dict[str, Any] = {}
    for name, (tp, n_pred, n_gold) in counts.items():
        scores.update(_prf(tp, n_pred, n_gold, name))
    scores["srl_sense_acc"] = sense_right / sense_total if sense_total else 0.0
    return scores


@registry.scorers("spacy-bert-components.srl_scorer.v1")
def make_srl_scorer():
    """RETURNS (Callable): `score_srl`."""
    return score_srl
