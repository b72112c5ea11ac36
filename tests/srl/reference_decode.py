"""Reference decoding for the tests: one sequence at a time, the plain
Viterbi recursion over all tag pairs and a loop over tags, in the tag order
of `spacy_bert_components.srl.decode`. The batched decoding is checked
against these."""

from typing import List, Sequence, Tuple

import numpy

from spacy_bert_components.srl.decode import NEG


def make_tags(roles: Sequence[str]) -> List[str]:
    """RETURNS (List[str]): "O", then B-role and I-role for each role."""
    tags = ["O"]
    for role in roles:
        tags.extend([f"B-{role}", f"I-{role}"])
    return tags


def transition_masks(n_roles: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """RETURNS: (allowed[prev, cur], start_allowed[cur]) for make_tags' order."""
    n_tags = 1 + 2 * n_roles
    allowed = numpy.ones((n_tags, n_tags), dtype=bool)
    start = numpy.ones((n_tags,), dtype=bool)
    for k in range(n_roles):
        inside = 2 + 2 * k
        allowed[:, inside] = False
        allowed[1 + 2 * k, inside] = True
        allowed[inside, inside] = True
        start[inside] = False
    return allowed, start


def viterbi(scores: numpy.ndarray, allowed: numpy.ndarray, start: numpy.ndarray) -> List[int]:
    """scores (numpy [n, T]): Log-probabilities per token and tag.
    RETURNS (List[int]): The best tag sequence under the BIO constraints."""
    n = scores.shape[0]
    if n == 0:
        return []
    trans = numpy.where(allowed, 0.0, NEG)
    best = scores[0] + numpy.where(start, 0.0, NEG)
    back = numpy.zeros((n, scores.shape[1]), dtype="int64")
    for i in range(1, n):
        cand = best[:, None] + trans
        back[i] = cand.argmax(axis=0)
        best = cand.max(axis=0) + scores[i]
    path = [int(best.argmax())]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def tags_to_spans(path: Sequence[int], roles: Sequence[str]) -> List[Tuple[str, int, int]]:
    """RETURNS (List[Tuple[str, int, int]]): (role, start, end) from a valid path."""
    spans: List[Tuple[str, int, int]] = []
    for i, tag in enumerate(path):
        if tag == 0:
            continue
        k, inside = divmod(tag - 1, 2)
        if inside and spans and spans[-1][0] == roles[k] and spans[-1][2] == i:
            spans[-1] = (roles[k], spans[-1][1], i + 1)
        else:
            spans.append((roles[k], i, i + 1))
    return spans
