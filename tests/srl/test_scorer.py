"""The SRL scores: labelled spans, heads, predicates, senses."""
import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from spacy_bert_components.srl.decode import make_tags, spans_to_tags, tags_to_spans, transition_masks, viterbi
from spacy_bert_components.srl.frames import FrameData, write_frames
from spacy_bert_components.srl.scorer import score_srl

WORDS = "John ate the red apple and Mary drank tea .".split()


def _doc(nlp, frames):
    doc = Doc(nlp.vocab, words=WORDS)
    write_frames(doc, frames)
    return doc


def test_scores():
    nlp = spacy.blank("en")
    gold = _doc(nlp, [
        FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 5, 4)]),
        FrameData((7, 8), "drink.01", [("ARG0", 6, 7, 6), ("ARG1", 8, 9, 8)]),
    ])
    pred = _doc(nlp, [
        FrameData((1, 2), "eat.02", [("ARG0", 0, 1, 0), ("ARG1", 3, 5, 4)]),  # span wrong, head right
        FrameData((5, 6), "and.01", [("ARG1", 6, 7, 6)]),  # not a predicate
    ])
    scores = score_srl([Example(pred, gold)])
    assert scores["srl_p"] == pytest.approx(1 / 3)
    assert scores["srl_r"] == pytest.approx(1 / 4)
    assert scores["srl_head_p"] == pytest.approx(2 / 3)
    assert scores["srl_head_r"] == pytest.approx(2 / 4)
    assert scores["srl_predicate_f"] == pytest.approx(0.5)
    assert scores["srl_sense_acc"] == 0.0
    perfect = score_srl([Example(_doc(nlp, [FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0)])]), _doc(nlp, [FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0)])]))])
    assert perfect["srl_f"] == perfect["srl_sense_acc"] == 1.0


def test_examples_without_srl_gold_are_skipped():
    nlp = spacy.blank("en")
    unannotated = Doc(nlp.vocab, words=WORDS)
    assert score_srl([Example(_doc(nlp, []), unannotated)])["srl_f"] is None


def test_viterbi_gives_valid_bio():
    import numpy

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
    import numpy

    from spacy_bert_components.srl.decode import viterbi_batch

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
