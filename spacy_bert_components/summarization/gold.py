"""Where the gold for summarization lives on a reference doc.

The oracle sentences are a span group on the reference doc and the reference
summaries are plain strings in its user data, so both survive `DocBin`
(`store_user_data=True`) and a doc from another task's data set, which has
neither, is recognised as having no summarization gold.
"""

from typing import List, Optional, Sequence, Tuple

from spacy.tokens import Doc, SpanGroup

GOLD_SPANS_KEY = "summary_oracle"
REFERENCES_KEY = "summary_references"


def set_gold(doc: Doc, oracle: Sequence[int], references: Sequence[str]) -> None:
    """Store the oracle and the reference summaries on a reference doc.

    doc (Doc): A doc with sentence boundaries.
    oracle (Sequence[int]): Indices of the oracle sentences in `doc.sents`.
    references (Sequence[str]): Reference summaries, sentences separated by
        newlines (what ROUGE-Lsum expects).
    """
    sents = list(doc.sents)
    doc.spans[GOLD_SPANS_KEY] = SpanGroup(doc, name=GOLD_SPANS_KEY, spans=[sents[i] for i in sorted(oracle)])
    doc.user_data[REFERENCES_KEY] = [str(ref) for ref in references]


def has_gold(doc: Doc) -> bool:
    """RETURNS (bool): Whether the doc carries an extractive oracle."""
    return GOLD_SPANS_KEY in doc.spans


def get_references(doc: Doc) -> Optional[List[str]]:
    """RETURNS (Optional[List[str]]): The reference summaries, or None."""
    refs = doc.user_data.get(REFERENCES_KEY)
    return list(refs) if refs else None


def gold_char_spans(doc: Doc) -> List[Tuple[int, int]]:
    """RETURNS (List[Tuple[int, int]]): Character offsets of the oracle sentences."""
    return [(span.start_char, span.end_char) for span in doc.spans[GOLD_SPANS_KEY]]
