"""The SRL scores: labelled spans, heads, predicates, senses."""

import numpy
import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from spacy_bert_components.srl.decode import spans_to_tags
from spacy_bert_components.srl.frames import FrameData, write_frames
from spacy_bert_components.srl.scorer import score_srl

from .reference_decode import make_tags, tags_to_spans, transition_masks, viterbi

WORDS = "John ate the red apple and Mary drank tea .".split()


def _doc(nlp, frames):
    doc = Doc(nlp.vocab, words=WORDS)
    write_frames(doc, frames)
    return doc


def test_scores():
    nlp = spacy.blank("en")
    gold = _doc(
        nlp,
        [
            FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 5, 4)]),
            FrameData((7, 8), "drink.01", [("ARG0", 6, 7, 6), ("ARG1", 8, 9, 8)]),
        ],
    )
    pred = _doc(
        nlp,
        [
            FrameData((1, 2), "eat.02", [("ARG0", 0, 1, 0), ("ARG1", 3, 5, 4)]),  # span wrong, head right
            FrameData((5, 6), "and.01", [("ARG1", 6, 7, 6)]),  # not a predicate
        ],
    )
    scores = score_srl([Example(pred, gold)])
    assert scores["srl_p"] == pytest.approx(1 / 3)
    assert scores["srl_r"] == pytest.approx(1 / 4)
    assert scores["srl_head_p"] == pytest.approx(2 / 3)
    assert scores["srl_head_r"] == pytest.approx(2 / 4)
    assert scores["srl_predicate_f"] == pytest.approx(0.5)
    assert scores["srl_sense_acc"] == 0.0
    perfect = score_srl(
        [
            Example(
                _doc(nlp, [FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0)])]),
                _doc(nlp, [FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0)])]),
            )
        ]
    )
    assert perfect["srl_f"] == perfect["srl_sense_acc"] == 1.0


def test_examples_without_srl_gold_are_skipped():
    nlp = spacy.blank("en")
    unannotated = Doc(nlp.vocab, words=WORDS)
    assert score_srl([Example(_doc(nlp, []), unannotated)])["srl_f"] is None


def test_viterbi_gives_valid_bio():
    roles = ["ARG0", "ARG1", "ARGM-TMP"]
    tags = make_tags(roles)
    allowed, start = transition_masks(len(roles))
    rng = numpy.random.default_rng(0)
    for _ in range(50):
        scores = rng.normal(size=(12, len(tags))) * 3
        path = viterbi(scores, allowed, start)
        assert not tags[path[0]].startswith("I-")
        for a, b in zip(path, path[1:]):
            if tags[b].startswith("I-"):
                assert tags[a][2:] == tags[b][2:]
        spans = tags_to_spans(path, roles)
        back = spans_to_tags(spans, 12, {r: i for i, r in enumerate(roles)})
        assert list(back) == path


def test_batched_viterbi_equals_one_at_a_time():
    from spacy_bert_components.srl.decode import best_paths

    def viterbi_batch(scores, lengths, outside=None):
        paths = best_paths(scores, lengths, outside)
        return [paths[p, :n].tolist() for p, n in enumerate(lengths)]

    roles = ["ARG0", "ARG1", "ARGM-TMP"]
    allowed, start = transition_masks(len(roles))
    rng = numpy.random.default_rng(1)
    lengths = [1, 7, 12, 3, 12] * 20
    scores = rng.normal(size=(len(lengths), 12, 1 + 2 * len(roles))) * 3
    paths = viterbi_batch(scores, lengths)
    assert paths == [viterbi(scores[p, :n], allowed, start) for p, n in enumerate(lengths)]
    assert viterbi_batch(scores[:0], []) == []
    # A position forced to O (a frame's predicate), the scores left as they were.
    outside = rng.integers(0, 12, size=len(lengths)) % numpy.asarray(lengths)
    before = scores.copy()
    forced = viterbi_batch(scores, lengths, outside=outside)
    assert numpy.array_equal(scores, before)
    blocked = scores.copy()
    blocked[numpy.arange(len(lengths)), outside, 1:] = -1e9
    assert forced == [viterbi(blocked[p, :n], allowed, start) for p, n in enumerate(lengths)]
    assert all(path[o] == 0 for path, o in zip(forced, outside))
    assert forced != paths


def _random_paths(rng, n_paths: int, n: int, n_roles: int):
    """Valid BIO paths (`spans_to_tags` of random non-overlapping spans) and their lengths."""
    roles = [f"R{k}" for k in range(n_roles)]
    lengths = rng.integers(0, n + 1, size=n_paths)
    paths = numpy.zeros((n_paths, n), dtype="int64")
    for p, length in enumerate(lengths):
        spans, i = [], 0
        while i < length:
            end = int(rng.integers(i + 1, length + 1))
            if rng.random() < 0.6:
                spans.append((roles[int(rng.integers(n_roles))], i, end))
            i = end
        paths[p, :length] = spans_to_tags(spans, int(length), {r: k for k, r in enumerate(roles)})
    return roles, paths, lengths


def test_best_paths_takes_the_best_tags_where_they_are_valid_and_viterbi_elsewhere():
    """Rows whose best tags are valid BIO skip the recursion; the result
    equals `viterbi` on every row either way, O past each length."""
    from spacy_bert_components.srl.decode import best_paths, valid_bio

    rng = numpy.random.default_rng(2)
    roles, gold, lengths = _random_paths(rng, 60, 10, 3)
    allowed, start = transition_masks(len(roles))
    scores = rng.normal(size=gold.shape + (1 + 2 * len(roles),))
    # Half the rows: the valid gold path far ahead (the best tags are valid);
    # the others: noise only (mostly invalid best tags).
    sure = numpy.arange(len(gold)) % 2 == 0
    scores[sure] = numpy.where(numpy.eye(scores.shape[2])[gold[sure]] > 0, 20.0, scores[sure])
    best_tags = scores.argmax(axis=2) * (numpy.arange(10)[None, :] < lengths[:, None])
    assert valid_bio(best_tags[sure]).all() and not valid_bio(best_tags[~sure]).all()
    paths = best_paths(scores, lengths)
    for p, length in enumerate(lengths):
        assert paths[p, :length].tolist() == viterbi(scores[p, :length], allowed, start)
        assert not paths[p, length:].any()
    assert numpy.array_equal(paths[sure], gold[sure])


def test_path_spans_equals_tags_to_spans_row_by_row():
    from spacy_bert_components.srl.decode import path_spans

    rng = numpy.random.default_rng(3)
    roles, paths, _ = _random_paths(rng, 80, 9, 4)
    rows, role_ids, starts, ends = path_spans(paths)
    found = [[] for _ in paths]
    for p, k, a, b in zip(rows, role_ids, starts, ends):
        found[p].append((roles[k], int(a), int(b)))
    assert found == [tags_to_spans(path.tolist(), roles) for path in paths]
    assert [len(x) for x in path_spans(paths[:0])] == [0, 0, 0, 0]


def test_segment_argmax_takes_the_first_of_equal_values():
    from spacy_bert_components.srl.decode import segment_argmax

    rng = numpy.random.default_rng(4)
    values = rng.integers(0, 3, size=(5, 12)).astype("f")  # many ties
    rows = numpy.array([0, 0, 1, 4, 4, 2])
    starts = numpy.array([0, 5, 3, 0, 11, 7])
    ends = numpy.array([5, 12, 4, 11, 12, 10])
    expected = [a + int(numpy.argmax(values[r, a:b])) for r, a, b in zip(rows, starts, ends)]
    assert segment_argmax(values, rows, starts, ends).tolist() == expected
    assert segment_argmax(values, rows[:0], starts[:0], ends[:0]).tolist() == []


def test_trim_edges_never_passes_the_head():
    from spacy_bert_components.srl.decode import trim_edges

    # tokens:              ,     a      ,     ,     b      ,
    is_edge = numpy.array([True, False, True, True, False, True])
    starts, ends = trim_edges(is_edge, numpy.array([0, 0, 2, 0]), numpy.array([6, 6, 4, 1]), numpy.array([1, 4, 3, 0]))
    assert starts.tolist() == [1, 1, 3, 0]
    assert ends.tolist() == [5, 5, 4, 1]
