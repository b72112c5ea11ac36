"""Batches of similar length, for work padded to each batch's longest row."""

from typing import List

import numpy


def length_batches(lengths: numpy.ndarray, max_positions: int, max_padding: float) -> List[numpy.ndarray]:
    """Indices of `lengths` in ascending order of length, cut into batches of
    at most `max_positions` padded positions, each with at most a
    `max_padding` share of padding (a single row longer than
    `max_positions` is a batch of its own).

    Used wherever padded sequences of mixed lengths are computed together
    (encoder windows, SRL predicates): the work is about the padded
    positions, and past a few rows a bigger batch gains little, so a batch
    closes when padding would exceed the share rather than grow to the
    budget with padding.
    """
    order = numpy.argsort(lengths, kind="stable")
    batches: List[numpy.ndarray] = []
    start, real = 0, 0
    for end in range(len(order)):
        length = int(lengths[order[end]])
        # Sorted ascending: with row `end` in, the batch is `length` wide.
        count = end - start + 1
        if end > start and (
            count * length > max_positions or count * length - (real + length) > max_padding * count * length
        ):
            batches.append(order[start:end])
            start, real = end, 0
        real += length
    if len(order) > start:
        batches.append(order[start:])
    return batches
