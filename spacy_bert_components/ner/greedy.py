"""spaCy's greedy NER decoding, for all docs of a batch at once.

`Parser.greedy_parse` advances each doc's transition state in compiled code,
asking every action whether it is valid through `StateC` accessors. In the
spaCy build this project runs on, that validity check is most of NER's time
(`py-spy record --native` over the default pipeline's `greedy_parse` on BBC
articles: 60% of it in `TransitionSystem.set_valid`, much of that in
`pthread_mutex_lock` under `StateC::B_`). The BILUO system's state is small (is an entity open, its label,
where it starts), and where no entity is open its features are the next
token alone, so the same decisions are taken here for a whole batch in array
operations:

- the action scores come from the model's own precomputed features
  (`precompute_hiddens`, the code spaCy's loop sums them with), for the
  three tokens spaCy's NER state feeds it: the next token, the first token
  of the open entity and the token before the next one;
- an action is valid under `BiluoPushDown`'s rules for docs without preset
  entities (no entity across a sentence start, none starting on whitespace,
  B/I not on a doc's last token, I/L only with the open entity's label), and
  the first valid action with the highest score is taken;
- the decision with no entity open is taken at every token at once; every
  B found carries on, one token a round for all of them, until its L; a
  walk through each doc then keeps the entities its state reaches (a B
  inside an earlier entity is never reached).

Where these rules do not cover the case (beam search, an output layer over
the hidden layer, other state features, classes unseen in training, whose
score spaCy sets to the minimum of each step's batch, a doc with preset
entities) the caller falls back to spaCy's loop. `tests/ner/test_greedy.py`
checks the entities against spaCy's on the same docs;
`benchmarks/ner_decoding.py` times both.
"""

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

import numpy
from spacy.attrs import ENT_IOB, IS_SPACE, SENT_START
from spacy.tokens import Doc
from thinc.api import set_dropout_rate

# A decoded entity: (start token, end token, label).
Entity = Tuple[int, int, str]


@dataclass
class DecodedEntities:
    """The entities of each doc of a batch, in the docs' order."""

    docs: List[List[Entity]]


@dataclass
class _Actions:
    """The transition system's actions as arrays over the action index."""

    begin: numpy.ndarray
    inside: numpy.ndarray
    last: numpy.ndarray
    unit: numpy.ndarray
    out: numpy.ndarray
    label: numpy.ndarray  # index into `labels`; -1: no label
    labels: List[str]


def _actions(moves: Any) -> Optional[_Actions]:
    names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    labels: List[str] = []
    kinds, label_ids = [], []
    for name in names:
        move, _, label = name.partition("-")
        if move not in ("B", "I", "L", "U", "O") or (move == "O" and label):
            return None
        if label and label not in labels:
            labels.append(label)
        kinds.append(move)
        label_ids.append(labels.index(label) if label else -1)
    kind = numpy.asarray(kinds)
    label_array = numpy.asarray(label_ids, dtype="int64")
    has_label = label_array >= 0
    return _Actions(
        begin=(kind == "B") & has_label,
        inside=(kind == "I") & has_label,
        last=(kind == "L") & has_label,
        unit=(kind == "U") & has_label,  # "U-" (no label) only marks preset blocked tokens
        out=kind == "O",
        label=label_array,
        labels=labels,
    )


def supports(parser: Any) -> bool:
    """RETURNS (bool): Whether `decode` reproduces `parser`'s greedy parse:
    greedy (beam width 1), no output layer over the maxout hidden layer, and
    the NER state's three features, every class seen in training."""
    return _supported_model(parser) and _actions(parser.moves) is not None


def _supported_model(parser: Any) -> bool:
    model = parser.model
    if parser.cfg.get("beam_width", 1) != 1 or model.attrs.get("has_upper", True) or model.attrs.get("unseen_classes"):
        return False
    lower = model.get_ref("lower")
    n_pieces = lower.get_dim("nP") if lower.has_dim("nP") else 1
    return lower.get_dim("nF") == 3 and n_pieces >= 2


def decode(parser: Any, docs: Sequence[Doc]) -> Optional[DecodedEntities]:
    """The entities `parser.greedy_parse(docs)` finds, or None where these
    rules do not cover the parser (see `supports`) or a doc holds preset
    entity annotation: the caller then runs spaCy's loop."""
    docs = list(docs)
    if not _supported_model(parser) or any(doc.to_array(ENT_IOB).any() for doc in docs if len(doc)):
        return None
    actions = _actions(parser.moves)
    if actions is None:
        return None
    found: List[List[Entity]] = [[] for _ in docs]
    lengths = numpy.asarray([len(doc) for doc in docs], dtype="int64")
    if not lengths.any():
        return DecodedEntities(found)
    parser._ensure_labels_are_added(docs)
    set_dropout_rate(parser.model, 0.0)
    step_model = parser.model.predict(docs)
    try:
        _decode_batch(step_model, docs, lengths, actions, found)
    finally:
        step_model.clear_memory()
    return DecodedEntities(found)


def _decode_batch(
    step_model: Any, docs: List[Doc], lengths: numpy.ndarray, actions: _Actions, found: List[List[Entity]]
) -> None:
    state2vec = step_model.state2vec
    # Token rows of the precomputed features: the docs one after another, as
    # spaCy's `init_batch` offsets its states.
    ends = numpy.cumsum(lengths)
    filled = [doc for doc in docs if len(doc)]
    # SENT_START is stored unsigned: -1 (not a start) reads as a large number.
    sent_start = numpy.concatenate([doc.to_array(SENT_START).astype("int64") for doc in filled]) == 1
    space = numpy.concatenate([doc.to_array(IS_SPACE) for doc in filled]).astype(bool)
    n_tokens = int(ends[-1])
    rows = numpy.arange(n_tokens)
    final = numpy.zeros(n_tokens, dtype=bool)  # a doc's last token: no B, no I
    final[ends[lengths > 0] - 1] = True
    next_starts = ~final & numpy.append(sent_start[1:], False)
    # With no entity open, the state's features are the token alone, so the
    # decision at every token where no entity is open is taken at once.
    scores = state2vec.predict(_features(rows, None))
    valid = (
        (actions.begin[None, :] & (~final & ~next_starts & ~space)[:, None])
        | (actions.unit[None, :] & ~space[:, None])
        | actions.out[None, :]
    )
    choice = _best_valid(scores, valid)
    begins = numpy.flatnonzero(actions.begin[choice])
    units = numpy.flatnonzero(actions.unit[choice])
    # Each B carries on, one token a round for all of them, until its L.
    label = actions.label[choice[begins]]
    entity_end = _entity_ends(state2vec, begins, label, final, next_starts, actions)
    # The walk: an entity the state reaches (not inside an earlier one).
    starts = numpy.concatenate([begins, units])
    stops = numpy.concatenate([entity_end, units + 1])
    labels = numpy.concatenate([label, actions.label[choice[units]]])
    doc_of = numpy.searchsorted(ends, starts, side="right")
    offsets = ends - lengths
    free = 0
    for k in numpy.argsort(starts, kind="stable"):
        if starts[k] < free:
            continue
        free = int(stops[k])
        doc = int(doc_of[k])
        found[doc].append((int(starts[k] - offsets[doc]), int(free - offsets[doc]), actions.labels[labels[k]]))


def _entity_ends(
    state2vec: Any,
    begins: numpy.ndarray,
    label: numpy.ndarray,
    final: numpy.ndarray,
    next_starts: numpy.ndarray,
    actions: _Actions,
) -> numpy.ndarray:
    """RETURNS (numpy [E]): Where the entity opened at each of `begins`
    ends (exclusive): the state's decisions I or L, token by token."""
    end = numpy.zeros(len(begins), dtype="int64")
    live = numpy.arange(len(begins))
    position = begins + 1  # a B is never on a doc's last token
    while live.size:
        at = position[live]
        scores = state2vec.predict(_features(at, begins[live]))
        same = actions.label[None, :] == label[live][:, None]
        valid = (actions.inside[None, :] & (~final[at] & ~next_starts[at])[:, None] & same) | (
            actions.last[None, :] & same
        )
        closes = actions.last[_best_valid(scores, valid)]
        end[live[closes]] = at[closes] + 1
        live = live[~closes]
        position[live] += 1
    return end


def _features(rows: numpy.ndarray, entity_starts: Optional[numpy.ndarray]) -> numpy.ndarray:
    """RETURNS (numpy [n, 3]): The NER state's feature rows: the next token,
    the open entity's first token and the token before the next (-1: none)."""
    ids = numpy.full((len(rows), 3), -1, dtype="i")
    ids[:, 0] = rows
    if entity_starts is not None:
        ids[:, 1] = entity_starts
        ids[:, 2] = rows - 1
    return ids


def _best_valid(scores: numpy.ndarray, valid: numpy.ndarray) -> numpy.ndarray:
    """RETURNS (numpy [n]): The first valid action with the highest score
    (spaCy's `arg_max_if_valid`)."""
    return numpy.where(valid, scores, -numpy.inf).argmax(axis=1)
