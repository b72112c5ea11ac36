"""The greedy extractive oracle (as in BertSumExt): add the sentence that most
raises ROUGE-1 F + ROUGE-2 F of the selection against the reference, until no
sentence raises it or `max_sentences` are chosen.

The n-gram counting is our own (the `rouge-score` package re-tokenizes the
whole selection for every candidate, which is too slow for this loop), on the
tokens of `rouge-score`'s own tokenizer and Porter stemmer, so the figures
agree with what the scorer reports.
"""

from collections import Counter
from typing import List, Optional, Sequence

from nltk.stem import porter
from rouge_score import tokenize

_STEMMER = porter.PorterStemmer()


def rouge_tokens(text: str) -> List[str]:
    """RETURNS (List[str]): `rouge-score`'s tokens (lower case, stemmed)."""
    return tokenize.tokenize(text, _STEMMER)


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(overlap: int, n_pred: int, n_ref: int) -> float:
    if overlap == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_pred, overlap / n_ref
    return 2 * p * r / (p + r)


def greedy_oracle(
    sentences: Sequence[str],
    references: Sequence[str],
    *,
    max_sentences: Optional[int] = None,
) -> List[int]:
    """Choose oracle sentences greedily by ROUGE-1 + ROUGE-2 F-measure,
    averaged over the references.

    sentences (Sequence[str]): The document's sentences.
    references (Sequence[str]): One or more reference summaries.
    max_sentences (Optional[int]): Stop after this many.
    RETURNS (List[int]): Indices of the chosen sentences, in document order.
    """
    sent_tokens = [rouge_tokens(s) for s in sentences]
    sent_grams = [(_ngrams(t, 1), _ngrams(t, 2)) for t in sent_tokens]
    ref_grams = []
    for ref in references:
        toks = rouge_tokens(ref)
        if toks:
            ref_grams.append((_ngrams(toks, 1), _ngrams(toks, 2)))
    if not ref_grams:
        return []

    def score(g1: Counter, g2: Counter) -> float:
        n1, n2 = sum(g1.values()), sum(g2.values())
        total = 0.0
        for r1, r2 in ref_grams:
            total += _f1(sum((g1 & r1).values()), n1, sum(r1.values()))
            total += _f1(sum((g2 & r2).values()), n2, sum(r2.values()))
        return total / len(ref_grams)

    chosen: List[int] = []
    sel1, sel2 = Counter(), Counter()
    best = 0.0
    limit = len(sentences) if max_sentences is None else max_sentences
    while len(chosen) < limit:
        best_i, best_score = None, best
        for i, (g1, g2) in enumerate(sent_grams):
            if i in chosen or not g1:
                continue
            s = score(sel1 + g1, sel2 + g2)
            if s > best_score:
                best_i, best_score = i, s
        if best_i is None:
            break
        chosen.append(best_i)
        sel1 += sent_grams[best_i][0]
        sel2 += sent_grams[best_i][1]
        best = best_score
    return sorted(chosen)
