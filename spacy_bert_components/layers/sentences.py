"""Sentences as the heads see them."""

from typing import List, Optional, Tuple

from spacy.tokens import Doc


def sentence_bounds(doc: Doc, *, required_by: Optional[str] = None) -> List[Tuple[int, int]]:
    """The (start, end) token offsets of each sentence.

    A doc without sentence boundaries (a training doc from a corpus without
    them, a pipeline without a sentencizer) is one sentence, unless
    `required_by` names a component that cannot work on such a doc: then a
    doc of more than one token raises ValueError with the fix.

    doc (Doc): The doc.
    required_by (Optional[str]): Factory name for the error message.
    RETURNS (List[Tuple[int, int]]): One pair per sentence; empty for an empty doc.
    """
    if len(doc) == 0:
        return []
    if doc.has_annotation("SENT_START"):
        return [(sent.start, sent.end) for sent in doc.sents]
    if required_by is not None and len(doc) > 1:
        raise ValueError(
            f"{required_by} works on sentences, but the doc has no sentence "
            "boundaries: add a `sentencizer` (or a parser or senter) before it "
            "in [nlp] pipeline."
        )
    return [(0, len(doc))]
