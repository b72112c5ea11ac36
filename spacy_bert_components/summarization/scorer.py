"""ROUGE for extractive summaries, next to the lead-k baseline on the same docs."""

from functools import partial
from typing import Any, Callable, Dict, Iterable, List, Optional

from spacy.training import Example
from spacy.util import registry

from .gold import get_references

ROUGE_TYPES = {"rouge1": "rouge1", "rouge2": "rouge2", "rougeL": "rougeLsum"}
DEFAULT_LEAD_K = 3


def _sentences_text(sents: Iterable[Any]) -> str:
    # ROUGE-Lsum splits summaries on newlines: one sentence per line.
    return "\n".join(" ".join(s.text.split()) for s in sents)


def _lead(doc: Any, k: int) -> List[Any]:
    if len(doc) == 0:
        return []
    if len(doc) > 1 and not doc.has_annotation("SENT_START"):
        return [doc[:]]
    return [s for s in doc.sents if s.text.strip()][:k]


def score_summaries(
    examples: Iterable[Example],
    *,
    spans_key: str = "summary",
    lead_k: int = DEFAULT_LEAD_K,
    **kwargs: Any,
) -> Dict[str, Optional[float]]:
    """ROUGE-1, ROUGE-2 and ROUGE-Lsum F-measure (0-1 like every spaCy score,
    so `spacy evaluate` and the training log show them ×100; Porter stemming,
    `rouge-score`) of the predicted summaries, and of the first `lead_k`
    sentences of the same docs, against the reference summaries kept on the
    gold docs (the best over several references). Docs without references
    are left out.

    examples (Iterable[Example]): Predicted docs with `doc.spans[spans_key]`.
    spans_key (str): The summarizer's span group.
    lead_k (int): Sentences of the lead baseline (3 for news, 1 for TLDRs).
    RETURNS (Dict[str, Optional[float]]): `summary_rouge1`, `summary_rouge2`,
        `summary_rougeL`, the lead-k baseline's `summary_lead_rouge1`,
        `summary_lead_rouge2`, `summary_lead_rougeL`, and the same for the
        lead of the summary's own length (`summary_lead_matched_*`); None
        where no doc had a reference.
    """
    from rouge_score import rouge_scorer

    rouge = rouge_scorer.RougeScorer(list(ROUGE_TYPES.values()), use_stemmer=True)
    prefixes = ("summary_", "summary_lead_", "summary_lead_matched_")
    totals = {f"{prefix}{name}": 0.0 for prefix in prefixes for name in ROUGE_TYPES}
    n_docs = 0
    for eg in examples:
        refs = get_references(eg.reference)
        if not refs:
            continue
        n_docs += 1
        pred = eg.predicted
        summary = list(pred.spans[spans_key]) if spans_key in pred.spans else []
        systems = (
            ("summary_", summary),
            ("summary_lead_", _lead(pred, lead_k)),
            # The lead with as many sentences as the summary: the baseline
            # of equal length (ROUGE F favours the length of the reference).
            ("summary_lead_matched_", _lead(pred, len(summary))),
        )
        for prefix, sents in systems:
            scores = rouge.score_multi(refs, _sentences_text(sents))
            for name, rouge_type in ROUGE_TYPES.items():
                totals[prefix + name] += scores[rouge_type].fmeasure
    if n_docs == 0:
        return {key: None for key in totals}
    return {key: value / n_docs for key, value in totals.items()}


@registry.scorers("spacy-bert-components.summary_scorer.v1")
def make_summary_scorer_v1(
    spans_key: str = "summary", lead_k: int = DEFAULT_LEAD_K
) -> Callable[..., Dict[str, Optional[float]]]:
    """The summarizer's scorer (see `score_summaries`).

    spans_key (str): The summarizer's span group.
    lead_k (int): Sentences of the lead baseline: 3 for news (BBC), 1 for
        one-sentence summaries (SciTLDR).
    """
    # A partial of a module-level function, so that the pipeline pickles.
    return partial(score_summaries, spans_key=spans_key, lead_k=lead_k)
