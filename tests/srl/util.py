"""SRL test data: two sentences with two predicates each."""

from typing import List, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from spacy_bert_components.srl.frames import FrameData, write_frames

Frames = Sequence[Tuple[Tuple[int, int], str, Sequence[Tuple[str, int, int, int]]]]

TRAIN_DATA: List[Tuple[List[str], Frames]] = [
    (
        "John ate the apple and Mary drank tea .".split(),
        [
            ((1, 2), "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 4, 3)]),
            ((6, 7), "drink.01", [("ARG0", 5, 6, 5), ("ARG1", 7, 8, 7)]),
        ],
    ),
    (
        "The cat saw a dog that barked loudly .".split(),
        [
            ((2, 3), "see.01", [("ARG0", 0, 2, 1), ("ARG1", 3, 5, 4)]),
            ((6, 7), "bark.01", [("ARG0", 3, 5, 4), ("R-ARG0", 5, 6, 5), ("ARGM-MNR", 7, 8, 7)]),
        ],
    ),
]


def gold_doc(nlp: Language, words: List[str], frames: Frames) -> Doc:
    doc = Doc(nlp.vocab, words=words)
    write_frames(doc, [FrameData(p, r, list(a)) for p, r, a in frames])
    return doc


def make_examples(nlp: Language) -> List[Example]:
    """Examples whose predicted docs come from the pipeline's tokenizer."""
    examples = []
    for words, frames in TRAIN_DATA:
        ref = gold_doc(nlp, words, frames)
        examples.append(Example(nlp.make_doc(ref.text), ref))
    return examples


def frame_tuples(doc: Doc):
    """Hashable view of doc._.srl for comparisons."""
    return [
        (
            f.predicate.start,
            f.roleset,
            tuple((r, s.start, s.end) for r, s in f.arguments),
            tuple(h.i for _, h in f.heads),
        )
        for f in doc._.srl
    ]


def assert_well_formed(doc: Doc) -> None:
    """Arguments inside the predicate's sentence, no overlap within a frame,
    none containing its predicate, the head inside its argument."""
    for frame in doc._.srl:
        sent_start, sent_end = (
            (frame.predicate.sent.start, frame.predicate.sent.end)
            if doc.has_annotation("SENT_START")
            else (0, len(doc))
        )
        spans = sorted((s.start, s.end) for _, s in frame.arguments)
        for (a, b), (c, d) in zip(spans, spans[1:]):
            assert b <= c, f"overlapping arguments {(a, b)} {(c, d)} in {frame}"
        for (role, span), (_, head) in zip(frame.arguments, frame.heads):
            assert len(span) > 0
            assert sent_start <= span.start and span.end <= sent_end
            assert not (span.start <= frame.predicate.start < span.end), f"{role} contains its predicate in {frame}"
            assert span.start <= head.i < span.end


def srl_config(**model) -> dict:
    """bert_srl config for a small head listening to the shared tiny BERT."""
    from ..util import listener_config

    return {
        "model": {
            "@architectures": "spacy-bert-components.SRLBiLSTMModel.v1",
            "hidden_size": 32,
            "tok2vec": listener_config(),
            **model,
        }
    }
