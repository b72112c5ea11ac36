"""Scores of the sentiment component: `sentiment_acc`, `sentiment_macro_f`."""

from typing import Any, Callable, Dict, Iterable, Optional

from spacy.scorer import Scorer
from spacy.training import Example
from spacy.util import registry


def score_sentiment(
    examples: Iterable[Example], *, labels: Optional[Iterable[str]] = None, **kwargs: Any
) -> Dict[str, Any]:
    """Accuracy and macro F of the exclusive sentiment classes.

    Only examples whose gold doc has categories count: a document from
    another task's data set is no evidence either way.

    examples (Iterable[Example]): Predicted and gold docs.
    labels (Optional[Iterable[str]]): The classes; from the gold data if None.
    RETURNS (Dict[str, Any]): `sentiment_acc`, `sentiment_macro_f` and
        `sentiment_f_per_type` (None when nothing was scored).
    """
    scored = [eg for eg in examples if eg.reference.cats]
    if labels is None:
        labels = sorted({label for eg in scored for label in eg.reference.cats})
    labels = list(labels)
    if not scored or not labels:
        return {"sentiment_acc": None, "sentiment_macro_f": None, "sentiment_f_per_type": None}
    correct = 0
    for eg in scored:
        gold = max(eg.reference.cats.items(), key=lambda kv: kv[1])[0]
        pred_cats = {k: v for k, v in eg.predicted.cats.items() if k in labels}
        pred = max(pred_cats.items(), key=lambda kv: kv[1])[0] if pred_cats else None
        correct += gold == pred
    cats = Scorer.score_cats(scored, "cats", labels=labels, multi_label=False)
    return {
        "sentiment_acc": correct / len(scored),
        "sentiment_macro_f": cats["cats_macro_f"],
        "sentiment_f_per_type": cats["cats_f_per_type"],
    }


@registry.scorers("spacy-bert-components.sentiment_scorer.v1")
def make_sentiment_scorer_v1() -> Callable[..., Dict[str, Any]]:
    """RETURNS (Callable): `score_sentiment`."""
    return score_sentiment
