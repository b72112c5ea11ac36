"""The `bert_srl` factory and its pipe: predicates, rolesets and PropBank
argument spans, written to a span group (see `frames.py`)."""

from collections import Counter, defaultdict
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
import srsly
from spacy.attrs import IS_PUNCT
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Token
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.util import ensure_path
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate

from ..arrays import to_numpy
from ..layers.upstream_encoder import find_encoder
from ..torch_gemm import use_torch_gemm
from .decode import best_paths, path_spans, segment_argmax, trim_edges
from .frames import DEFAULT_SPANS_KEY, FrameData, install_extensions, read_frames, write_frames
from .loss import aligned_gold, srl_loss
from .model import SRLScores, build_srl_head, copies_encoder_layers, copy_encoder_layers
from .predicates import is_auxiliary
from .rolesets import RolesetIndex
from .scorer import score_srl

DEFAULT_SRL_CONFIG = """
[model]
@architectures = "spacy-bert-components.SRLBiLSTMModel.v1"
hidden_size = 256
lstm_depth = 1
position_size = 16
max_distance = 32
dropout = 0.1

[model.tok2vec]
@architectures = "spacy-bert-components.Tok2VecEncoder.v1"
name = "default"
"""
DEFAULT_SRL_MODEL = Config().from_str(DEFAULT_SRL_CONFIG)["model"]
DEFAULT_THRESHOLD = 0.5


@Language.factory(
    "bert_srl",
    assigns=["doc.spans"],
    default_config={
        "model": DEFAULT_SRL_MODEL,
        "spans_key": DEFAULT_SPANS_KEY,
        "threshold": DEFAULT_THRESHOLD,
        "auxiliary_frames": False,
        "scorer": {"@scorers": "spacy-bert-components.srl_scorer.v1"},
    },
    default_score_weights={
        "srl_f": 1.0,
        "srl_p": 0.0,
        "srl_r": 0.0,
        "srl_head_f": 0.0,
        "srl_predicate_f": 0.0,
        "srl_sense_acc": 0.0,
    },
)
def make_bert_srl(
    nlp: Language,
    name: str,
    model: Model,
    spans_key: str,
    threshold: float,
    auxiliary_frames: bool,
    scorer: Optional[Callable],
) -> "SemanticRoleLabeler":
    """Create a `bert_srl` component.

    model (Model): The SRL model (`spacy-bert-components.SRLBiLSTMModel.v1`).
    spans_key (str): Span group the frames are written to.
    threshold (float): Probability above which a token is a predicate.
    auxiliary_frames (bool): Also write the argument-less frames PropBank's
        EWT annotation gives auxiliary have/be/do (have.01, be.03, do.01), as
        the Universal PropBank scores count them.
    scorer (Optional[Callable]): Scoring method.
    """
    use_torch_gemm(model)  # the head's dense layers on torch's faster CPU gemm
    return SemanticRoleLabeler(
        nlp.vocab,
        model,
        name,
        spans_key=spans_key,
        threshold=threshold,
        auxiliary_frames=auxiliary_frames,
        scorer=scorer,
    )


class SemanticRoleLabeler(TrainablePipe):
    """PropBank semantic role labeller on a BERT encoder.

    For each sentence it finds the predicates (one token each), predicts each
    one's roleset and labels its arguments with BIO-decoded spans (valid BIO,
    no overlap, never containing the predicate) and a head token per argument.
    Output: `doc.spans[spans_key]` and the getters `doc._.srl`, `span._.srl`.
    """

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "srl",
        *,
        spans_key: str = DEFAULT_SPANS_KEY,
        threshold: float = DEFAULT_THRESHOLD,
        auxiliary_frames: bool = False,
        scorer: Optional[Callable] = score_srl,
    ) -> None:
        install_extensions()
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.auxiliary_frames = auxiliary_frames
        self.cfg: Dict[str, Any] = {
            "spans_key": spans_key,
            "threshold": threshold,
            "roles": [],
            "rolesets": [],
            "form_rolesets": {},
        }
        self._index: Optional[RolesetIndex] = None

    # ------------------------------------------------------------------ labels
    @property
    def labels(self) -> Tuple[str, ...]:
        """RETURNS (Tuple[str, ...]): The argument roles."""
        return tuple(self.cfg["roles"])

    @property
    def rolesets(self) -> Tuple[str, ...]:
        return tuple(self.cfg["rolesets"])

    @property
    def index(self) -> RolesetIndex:
        """RETURNS (RolesetIndex): Lookup tables of the roles and rolesets,
        rebuilt when `cfg` changes (initialize, from_bytes, from_disk)."""
        if self._index is None:
            self._index = RolesetIndex.from_labels(self.cfg["roles"], self.cfg["rolesets"], self.cfg["form_rolesets"])
        return self._index

    def _build_head(self) -> None:
        self._index = None
        build_srl_head(self.model, self.index.n_tags, len(self.cfg["rolesets"]), self.cfg.get("encoder_config"))

    def _require_initialized(self) -> None:
        if not self.cfg["roles"]:
            raise ValueError(
                f"The bert_srl component {self.name!r} is not initialized: it has "
                "no roles. Call nlp.initialize() with training examples (or train "
                "it with `spacy train`) or load a trained pipeline first."
            )

    # -------------------------------------------------------------- prediction
    def predict(self, docs: Iterable[Doc]) -> SRLScores:
        """Score a batch. Does not change the docs.

        docs (Iterable[Doc]): The docs.
        RETURNS (SRLScores): Predicate, role, head and roleset scores.
        """
        self._require_initialized()
        docs = list(docs)
        p = min(max(float(self.cfg["threshold"]), 1e-6), 1 - 1e-6)
        self.model.attrs["threshold"] = float(numpy.log(p / (1 - p)))
        return self.model.predict((docs, None))

    def set_annotations(self, docs: Iterable[Doc], scores: SRLScores) -> None:
        """Decode the scores into frames and write them to the docs."""
        docs = list(docs)
        index = self.index
        frames: List[List[FrameData]] = [[] for _ in docs]
        role_scores = to_numpy(scores.roles)
        sense_scores = to_numpy(scores.senses)
        features = None
        if not sense_scores.size and scores.sense_features is not None and len(scores.sense_features):
            # Prediction: only each predicate's candidate rolesets are scored.
            features = to_numpy(scores.sense_features)
            weight, bias = to_numpy(scores.sense_weight), to_numpy(scores.sense_bias)
        pred_sent = to_numpy(scores.pred_sent)
        pred_pos = to_numpy(scores.pred_pos)
        bounds = numpy.asarray([scores.sents[int(b)] for b in pred_sent], dtype="int64").reshape(-1, 3)
        arguments = self._decode_arguments(docs, role_scores, bounds, pred_pos)
        kept: List[Tuple[int, int, Token, list]] = []  # (predicate row, doc, token, arguments)
        for p, (i, s, _) in enumerate(bounds.tolist()):
            token = docs[i][s + int(pred_pos[p])]
            if not arguments[p] and not self.auxiliary_frames and is_auxiliary(token):
                continue
            kept.append((p, i, token, arguments[p]))
        tokens = [token for _, _, token, _ in kept]
        if features is not None:
            rolesets = index.choose_all(tokens, features[[p for p, _, _, _ in kept]], weight, bias)
        else:
            rolesets = [
                index.choose(token, sense_scores[p] if sense_scores.size else None) for (p, _, token, _) in kept
            ]
        for (_, i, token, frame_arguments), roleset in zip(kept, rolesets):
            frames[i].append(FrameData((token.i, token.i + 1), roleset, frame_arguments))
        for doc, doc_frames in zip(docs, frames):
            write_frames(doc, doc_frames, self.cfg["spans_key"], annotator=self.name)

    def _decode_arguments(
        self, docs: List[Doc], role_scores: numpy.ndarray, bounds: numpy.ndarray, pred_pos: numpy.ndarray
    ) -> List[List[Tuple[str, int, int, int]]]:
        """RETURNS (List[List[Tuple[str, int, int, int]]]): Each predicate's
        arguments (role, start, end, head: doc token offsets), from its role
        scores; `bounds` holds (doc, start, end) of its sentence."""
        if not len(pred_pos):
            return []
        n_tags = self.index.n_tags
        doc_of, sent_start = bounds[:, 0], bounds[:, 1]
        # The best path of the raw scores is the best path of their
        # log-softmax: normalizing subtracts one constant per token, which
        # every path pays once. So the scores are decoded as they are.
        # The predicate is never inside an argument.
        paths = best_paths(role_scores[:, :, :n_tags], bounds[:, 2] - sent_start, outside=pred_pos)
        rows, roles, starts, ends = path_spans(paths)
        heads = segment_argmax(role_scores[:, :, n_tags], rows, starts, ends)
        base = sent_start[rows]  # to the docs' token offsets
        starts, ends, heads = starts + base, ends + base, heads + base
        # Spans are trimmed of edge punctuation as the converters trim the
        # gold spans, on the batch's docs laid end to end.
        shift = numpy.cumsum([0] + [len(doc) for doc in docs])[doc_of[rows]]
        is_punct = numpy.concatenate([doc.to_array(IS_PUNCT).astype(bool) for doc in docs])
        starts, ends = trim_edges(is_punct, starts + shift, ends + shift, heads + shift)
        starts, ends = starts - shift, ends - shift
        arguments: List[List[Tuple[str, int, int, int]]] = [[] for _ in range(len(pred_pos))]
        for p, k, start, end, head in zip(
            rows.tolist(), roles.tolist(), starts.tolist(), ends.tolist(), heads.tolist()
        ):
            arguments[p].append((self.index.roles[k], start, end, head))
        return arguments

    def prepare_silver(self, doc: Doc) -> None:
        """Make this component's frames on `doc` fit to train another model
        on (`spacy-bert silver`): a roleset it only guessed for a word never
        seen in training (`lemma.01`) would become a roleset the student
        learns for that word form, shadowing the lemma lookup of the
        rolesets it knows; it is dropped (the frame keeps its arguments,
        with no roleset to learn)."""
        known = self.index.roleset_index
        key = self.cfg["spans_key"]
        frames = read_frames(doc, key)
        for frame in frames:
            if frame.roleset not in known:
                frame.roleset = None
        write_frames(doc, frames, key, annotator=self.name)

    # ---------------------------------------------------------------- training
    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from a batch of examples. Examples without SRL gold (e.g. from
        another task's data) contribute no loss."""
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "SemanticRoleLabeler.update")
        self._require_initialized()
        if not any(len(eg.predicted) for eg in examples):
            return losses
        gold = [aligned_gold(eg, self.cfg["spans_key"]) for eg in examples]
        gold_predicates = [[f.predicate[0] for f in g] if g else [] for g in gold]
        docs = [eg.predicted for eg in examples]
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update((docs, gold_predicates))
        loss, d_scores = srl_loss(scores, gold, self.index, self.model.ops)
        backprop(d_scores)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: SRLScores) -> Tuple[float, Any]:
        """RETURNS (Tuple[float, Any]): The loss and the gradient of the scores
        (predicate, roles, senses). The scores must come from gold predicates."""
        examples = list(examples)
        validate_examples(examples, "SemanticRoleLabeler.get_loss")
        return srl_loss(
            scores, [aligned_gold(eg, self.cfg["spans_key"]) for eg in examples], self.index, self.model.ops
        )

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        roles: Optional[Sequence[str]] = None,
        rolesets: Optional[Sequence[str]] = None,
    ) -> None:
        """Learn the roles and rolesets from the examples and initialize the
        model on a sample.

        get_examples (Callable[[], Iterable[Example]]): Training examples.
        nlp (Optional[Language]): The pipeline.
        roles (Optional[Sequence[str]]): Roles to use instead of those found.
        rolesets (Optional[Sequence[str]]): Rolesets to use instead of those found.
        """
        validate_get_examples(get_examples, "SemanticRoleLabeler.initialize")
        key = self.cfg["spans_key"]
        found_roles: Counter = Counter()
        found_rolesets: Counter = Counter()
        by_form: Dict[str, Counter] = defaultdict(Counter)
        for eg in get_examples():
            ref = eg.reference
            for frame in read_frames(ref, key):
                for role, *_ in frame.arguments:
                    found_roles[role] += 1
                if frame.roleset:
                    found_rolesets[frame.roleset] += 1
                    by_form[ref[frame.predicate[0]].lower_][frame.roleset] += 1
        self.cfg["roles"] = list(roles) if roles is not None else sorted(found_roles)
        self.cfg["rolesets"] = list(rolesets) if rolesets is not None else sorted(found_rolesets)
        self.cfg["form_rolesets"] = {f: [r for r, _ in c.most_common()] for f, c in sorted(by_form.items())}
        self._index = None
        if not self.cfg["roles"]:
            raise ValueError(
                f"No semantic role annotation found under doc.spans[{key!r}] in "
                "the initialization examples: convert the data with `spacy-bert "
                "convert up-conllu` or set [components.srl] spans_key."
            )
        encoder = None
        if copies_encoder_layers(self.model):
            # Saved in cfg: a loaded pipeline builds the head before any
            # encoder is loaded.
            encoder = find_encoder(self.model.get_ref("tok2vec"), nlp)
            self.cfg["encoder_config"] = encoder.config.to_dict()
        self._build_head()
        docs = [eg.predicted for eg in islice(get_examples(), 10)]
        self.model.initialize(X=(docs, None))
        if encoder is not None:
            copy_encoder_layers(self.model, encoder)

    # ----------------------------------------------------------- serialization
    # The head's size depends on the labels: build it from cfg before the
    # weights are loaded into it.
    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "SemanticRoleLabeler":
        msg = srsly.msgpack_loads(bytes_data)
        if "cfg" in msg and "cfg" not in exclude:
            self.cfg.update(srsly.json_loads(msg["cfg"]))
            self._index = None
            if self.cfg["roles"]:
                self._build_head()
        return super().from_bytes(bytes_data, exclude=exclude)

    def from_disk(self, path: Path, *, exclude: Iterable[str] = tuple()) -> "SemanticRoleLabeler":
        path = ensure_path(path)
        if (path / "cfg").exists() and "cfg" not in exclude:
            self.cfg.update(srsly.read_json(path / "cfg"))
            self._index = None
            if self.cfg["roles"]:
                self._build_head()
        return super().from_disk(path, exclude=exclude)
