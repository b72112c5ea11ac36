"""The `bert_ner` factory: spaCy's `EntityRecognizer` on BERT token vectors.

The transition system, its oracle, missing-value handling (a doc without
entity annotation contributes no loss), and the `ents_p/r/f/per_type` scores
are spaCy's. What this adds is the model (the encoder's vectors, own or
shared, casing features and a BiLSTM or window layers) and faster
prediction: spaCy's own greedy decisions, taken for a whole batch in array
operations (`greedy.py`) where its rules cover the model and the docs.
"""

from bisect import bisect_right
from typing import Any, Callable, Dict, Iterable, Optional

from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import Config, Model

from ..torch_gemm import use_torch_gemm
from . import greedy

DEFAULT_NER_CONFIG = """
[model]
@architectures = "spacy-bert-components.NERBiLSTMModel.v1"
hidden_width = 64
maxout_pieces = 2
use_upper = true
feature_attrs = ["SHAPE", "IS_TITLE", "IS_UPPER", "PREFIX"]
feature_width = 32
context_width = 256
lstm_depth = 1
dropout = 0.1

[model.tok2vec]
@architectures = "spacy-bert-components.Tok2VecEncoder.v1"
name = "default"
"""
DEFAULT_NER_MODEL = Config().from_str(DEFAULT_NER_CONFIG)["model"]


def entities_within_sentences(example: Example) -> Example:
    """The example, with every gold entity that crosses a sentence start of
    the predicted doc made missing.

    spaCy's transitions cannot build an entity across a sentence start, and
    its oracle raises E024 when a gold entity needs one (CoNLL-2003 has
    ", Inc." after "Co ." where the sentencizer starts a sentence at "Inc.").
    Such an entity's tokens count as missing: neither entity nor "O".

    example (Example): A training example.
    RETURNS (Example): The example itself, or one with a changed reference.
    """
    predicted, reference = example.predicted, example.reference
    if not predicted.has_annotation("SENT_START") or not reference.ents:
        return example
    # Character offsets of the predicted sentence starts, so that the check
    # holds whatever the two docs' tokenizations.
    sent_starts = predicted.to_array(["SENT_START", "IDX"])[1:]
    starts = sent_starts[sent_starts[:, 0] == 1, 1].tolist()
    crossing = [
        ent for ent in reference.ents if bisect_right(starts, ent.start_char) < bisect_right(starts, ent.end_char - 1)
    ]
    if not crossing:
        return example
    gold = reference.copy()
    kept = [Span(gold, e.start, e.end, label=e.label, kb_id=e.kb_id) for e in reference.ents if e not in crossing]
    gold.set_ents(kept, missing=[gold[e.start : e.end] for e in crossing], default="unmodified")
    return Example(predicted, gold)


class BertEntityRecognizer(EntityRecognizer):
    """spaCy's `EntityRecognizer`, predicting through `greedy.decode`: the
    same entities, without spaCy's per-state validity checks; in training,
    gold entities across a predicted sentence start are missing."""

    def update(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, float]:
        return super().update([entities_within_sentences(eg) for eg in examples], **kwargs)

    def predict(self, docs: Iterable[Doc]) -> Any:
        docs = [docs] if isinstance(docs, Doc) else list(docs)
        decoded = greedy.decode(self, docs)
        return decoded if decoded is not None else super().predict(docs)

    def set_annotations(self, docs: Iterable[Doc], states_or_beams: Any) -> None:
        if not isinstance(states_or_beams, greedy.DecodedEntities):
            return super().set_annotations(docs, states_or_beams)
        for doc, entities in zip(docs, states_or_beams.docs):
            # As BiluoPushDown.set_annotations: the entities, every other token "O".
            spans = [Span(doc, start, end, label=label, kb_id=doc[start].ent_kb_id) for start, end, label in entities]
            doc.set_ents(spans, default="outside")
            for hook in self.postprocesses:
                hook(doc)


@Language.factory(
    "bert_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "model": DEFAULT_NER_MODEL,
        "moves": None,
        "update_with_oracle_cut_size": 100,
        "incorrect_spans_key": None,
        "scorer": {"@scorers": "spacy.ner_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_bert_ner(
    nlp: Language,
    name: str,
    model: Model,
    moves: Optional[object],
    update_with_oracle_cut_size: int,
    incorrect_spans_key: Optional[str],
    scorer: Optional[Callable],
) -> BertEntityRecognizer:
    """Create a `bert_ner` component: spaCy's `EntityRecognizer`, with
    batched greedy prediction.

    model (Model): The transition-based model; by default
        `spacy-bert-components.NERBiLSTMModel.v1` on its own default encoder
        (`Tok2VecEncoder.v1`). Use `Listener.v1` as its tok2vec to share the
        pipeline's `transformer`.
    moves (Optional[TransitionSystem]): The transitions; from the data by default.
    update_with_oracle_cut_size (int): Cut long documents into pieces of
        about this many tokens for the oracle during training.
    incorrect_spans_key (Optional[str]): `doc.spans` key of known-wrong spans.
    scorer (Optional[Callable]): Scores `ents_p`, `ents_r`, `ents_f`, `ents_per_type`.
    RETURNS (BertEntityRecognizer): The component.
    """
    use_torch_gemm(model)  # the head's dense layers on torch's faster CPU gemm
    return BertEntityRecognizer(
        nlp.vocab,
        model,
        name=name,
        moves=moves,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        incorrect_spans_key=incorrect_spans_key,
        scorer=scorer,
    )
