"""Well-formed decoding: constrained best paths, spans from tags.

Tags are ids: 0 is O, 1 + 2k is B- and 2 + 2k is I- of role k. Every
decoded tag sequence is valid BIO (an I-X only after B-X or I-X), and the
predicate's own token is forced to O, so the arguments of one frame never
overlap and never contain their predicate.
"""

from typing import Dict, Optional, Sequence, Tuple

import numpy

from ..layers.length_batches import length_batches

NEG = -1e9


def best_paths(scores: numpy.ndarray, lengths: Sequence[int], outside: Optional[Sequence[int]] = None) -> numpy.ndarray:
    """The best valid BIO tag sequence of each of many sequences at once.
    Sequences are decoded in groups of similar length, each padded to its
    own longest only (a document's predicates span short and long
    sentences).

    Where a sequence's best tag at every token already makes valid BIO, that
    is its best valid path (no valid path scores more than the best tags),
    so only the other sequences run the Viterbi recursion. Its constraints
    leave each tag one or two possible predecessors (O and B-X: the best of
    all; I-X: B-X or I-X), so a step costs O(tags), not O(tags^2), and runs
    for all those sequences together.

    scores (numpy [P, n, T]): Per-token tag scores in the tag order above
        (log-probabilities, or logits: the best path is the same), padded
        to the longest sequence.
    lengths (Sequence[int]): The real length of each sequence.
    outside (Optional[Sequence[int]]): A position per sequence whose tag
        must be O (a frame's predicate), or None. `scores` is not modified.
    RETURNS (numpy [P, n]): The best tags of each sequence, O past its length.
    """
    P, n, T = scores.shape
    paths = numpy.zeros((P, n), dtype="int64")
    if P == 0 or n == 0:
        return paths
    lengths = numpy.asarray(lengths, dtype="int64")
    forced = None if outside is None else numpy.asarray(outside, dtype="int64")
    for group in length_batches(lengths, max_positions=GROUP_POSITIONS, max_padding=0.25):
        width = max(int(lengths[group[-1]]), 1)
        group_scores = scores[group, :width]  # a copy: the group's own to change
        if forced is not None:
            group_scores[numpy.arange(len(group)), forced[group], 1:] = NEG
        found = group_scores.argmax(axis=2)
        found[numpy.arange(width)[None, :] >= lengths[group][:, None]] = 0
        invalid = ~valid_bio(found)
        if invalid.any():
            found[invalid] = _viterbi_padded(group_scores[invalid], lengths[group][invalid])
        paths[group, :width] = found
    return paths


def valid_bio(paths: numpy.ndarray) -> numpy.ndarray:
    """RETURNS (numpy [P] bool): Whether each tag sequence [P, n] is valid BIO
    in the tag order above: every I-X right after B-X or I-X."""
    previous = numpy.zeros_like(paths)
    previous[:, 1:] = paths[:, :-1]
    inside = (paths > 0) & (paths % 2 == 0)
    return ~(inside & (previous != paths) & (previous != paths - 1)).any(axis=1)


# Predicate x token positions decoded together: large enough that numpy's
# per-step overhead is small, small enough that the group stays in cache.
GROUP_POSITIONS = 32768


def _viterbi_padded(scores: numpy.ndarray, lengths: numpy.ndarray) -> numpy.ndarray:
    """`best_paths` of one group by the Viterbi recursion; `scores` is
    changed (its padding). RETURNS (numpy [P, n]): O past each length."""
    P, n, T = scores.shape
    # Past its end, a sequence may only continue with O at no cost. O may
    # follow any tag, so the best path of the real prefix is unchanged.
    padding = numpy.arange(n)[None, :] >= lengths[:, None]
    scores[padding] = NEG
    scores[padding, 0] = 0.0
    rows = numpy.arange(P)
    best = scores[:, 0].copy()
    best[:, 2::2] = NEG  # no I-X at the start
    # What a step keeps for the way back: O and every B-X share one best
    # predecessor (any tag may precede them); I-X continues B-X or I-X.
    # The tag order puts B-X at 1::2 and I-X at 2::2, so both are views.
    any_prev = numpy.zeros((P, n), dtype="int16")  # tag indices fit in 16 bits
    from_begin = numpy.zeros((P, n, (T - 1) // 2), dtype=bool)
    step = numpy.empty_like(best)
    for i in range(1, n):
        prev = best.argmax(axis=1)
        any_prev[:, i] = prev
        top = best[rows, prev]
        begins, insides = best[:, 1::2], best[:, 2::2]
        numpy.greater_equal(begins, insides, out=from_begin[:, i])  # ties: B-X, as argmax would
        step[:, 0] = top
        step[:, 1::2] = top[:, None]
        numpy.maximum(begins, insides, out=step[:, 2::2])
        numpy.add(step, scores[:, i], out=best)
    paths = numpy.zeros((P, n), dtype="int64")
    tag = best.argmax(axis=1)
    paths[:, -1] = tag
    for i in range(n - 1, 0, -1):
        inside = (tag > 0) & (tag % 2 == 0)
        role = numpy.maximum(tag - 2, 0) // 2
        continued = numpy.where(from_begin[rows, i, role], tag - 1, tag)
        tag = numpy.where(inside, continued, any_prev[:, i])
        paths[:, i - 1] = tag
    return paths


def path_spans(paths: numpy.ndarray) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """The argument spans of valid BIO paths, all at once.

    paths (numpy [P, n]): Tag sequences in the tag order above, O as padding.
    RETURNS (Tuple[numpy, ...]): Per span, ordered by row and start: its
        row, role index, start and end.
    """
    P, n = paths.shape
    # A column of O after each row ends the row's last span.
    flat = numpy.zeros((P, n + 1), dtype="int64")
    flat[:, :n] = paths
    flat = flat.ravel()
    begins = numpy.flatnonzero(flat % 2 == 1)
    # In valid BIO, a span runs from its B-X to the next tag that is not an I-X.
    stops = numpy.flatnonzero((flat == 0) | (flat % 2 == 1))
    ends = stops[numpy.searchsorted(stops, begins, side="right")]
    rows, starts = numpy.divmod(begins, n + 1)
    return rows, (flat[begins] - 1) // 2, starts, ends - rows * (n + 1)


def segment_argmax(
    values: numpy.ndarray, rows: numpy.ndarray, starts: numpy.ndarray, ends: numpy.ndarray
) -> numpy.ndarray:
    """RETURNS (numpy [S]): For each segment `values[row, start:end]` (never
    empty), the position of its largest value; the first of equal ones, as
    `numpy.argmax`."""
    sizes = ends - starts
    if not len(sizes):
        return starts.copy()
    offsets = numpy.zeros(len(sizes), dtype="int64")
    numpy.cumsum(sizes[:-1], out=offsets[1:])
    owner = numpy.repeat(numpy.arange(len(sizes)), sizes)
    positions = starts[owner] + numpy.arange(int(sizes.sum())) - offsets[owner]
    found = values[rows[owner], positions]
    is_best = found == numpy.maximum.reduceat(found, offsets)[owner]
    first = numpy.minimum.reduceat(numpy.where(is_best, numpy.arange(len(found)), len(found)), offsets)
    # A segment of NaN has no best: its start.
    return numpy.where(first < len(found), positions[numpy.minimum(first, len(found) - 1)], starts)


def trim_edges(
    is_edge: numpy.ndarray, starts: numpy.ndarray, ends: numpy.ndarray, heads: numpy.ndarray
) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Move each span's edges inward past tokens where `is_edge` holds, never
    past its head: the trim of edge punctuation that gold spans
    (`convert.argument_span`) and predicted ones (`bert_srl`) both get.

    is_edge (numpy [tokens] bool): Per token; `starts`, `ends`, `heads` index it.
    RETURNS (Tuple[numpy, numpy]): The new starts and ends.
    """
    starts, ends = starts.copy(), ends.copy()
    while True:
        move = (starts < heads) & is_edge[starts]
        if not move.any():
            break
        starts[move] += 1
    while True:
        move = (ends - 1 > heads) & is_edge[ends - 1]
        if not move.any():
            break
        ends[move] -= 1
    return starts, ends


def spans_to_tags(spans: Sequence[Tuple[str, int, int]], n: int, role_index: Dict[str, int]) -> numpy.ndarray:
    """RETURNS (numpy [n]): Gold tag ids; unknown roles and overlaps left O."""
    tags = numpy.zeros((n,), dtype="int64")
    for role, start, end in sorted(spans, key=lambda s: (s[1], -s[2])):
        if role not in role_index or start < 0 or end > n or start >= end:
            continue
        if tags[start:end].any():
            continue  # overlapping gold (rare): keep the first
        k = role_index[role]
        tags[start] = 1 + 2 * k
        tags[start + 1 : end] = 2 + 2 * k
    return tags


def log_softmax(x: numpy.ndarray, axis: int = -1) -> numpy.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    return x - numpy.log(numpy.exp(x).sum(axis=axis, keepdims=True))
