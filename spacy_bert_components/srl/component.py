"""The `bert_srl` factory and its pipe: predicates, rolesets and PropBank
argument spans, written to a span group (see `frames.py`)."""
from collections import Counter, defaultdict
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
import srsly
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Token
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.util import ensure_path
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate

from .decode import NEG, log_softmax, make_tags, spans_to_tags, tags_to_spans, viterbi_batch
from .frames import DEFAULT_SPANS_KEY, FrameData, has_frames, install_extensions, read_frames, write_frames
from .model import SRLScores, build_srl_head
from .scorer import score_srl
from ..torch_gemm import use_torch_gemm

DEFAULT_SRL_MODEL = """
[model]
@architectures = "spacy-bert-components.SRLModel.v1"
hidden_size = 256
lstm_depth = 1
position_size = 16
max_distance = 32
dropout = 0.1

[model.tok2vec]
@architectures = "spacy-bert-components.Tok2VecEncoder.v1"
name = "default"
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_SRL_MODEL)["model"]
DEFAULT_THRESHOLD = 0.5
# PropBank's EWT annotation gives auxiliary have/be/do a frame of their own
# with no argument (have.01, be.03, do.01: 11% of the UP English dev
# predicates). Such a frame says nothing to a reader, so by default a frame
# with no argument on one of these words is not written.
AUXILIARY_FORMS = frozenset(
    "be am is are was were been being 's 're 'm have has had having 've 'd do does did done doing".split()
)


@Language.factory(
    "bert_srl",
    assigns=["doc.spans"],
    default_config={
        "model": DEFAULT_MODEL,
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

    model (Model): The SRL model (`spacy-bert-components.SRLModel.v1`).
    spans_key (str): Span group the frames are written to.
    threshold (float): Probability above which a token is a predicate.
    auxiliary_frames (bool): Also write the argument-less frames PropBank's
        EWT annotation gives auxiliary have/be/do (have.01, be.03, do.01), as
        the Universal PropBank scores count them.
    scorer (Optional[Callable]): Scoring method.
    """
    use_torch_gemm(model)  # the head's dense layers on torch's faster CPU gemm
    return SemanticRoleLabeler(
        nlp.vocab, model, name,
        spans_key=spans_key, threshold=threshold, auxiliary_frames=auxiliary_frames, scorer=scorer,
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
        self._cache: Optional[Tuple] = None

    # ------------------------------------------------------------------ labels
    @property
    def labels(self) -> Tuple[str, ...]:
        """RETURNS (Tuple[str, ...]): The argument roles."""
        return tuple(self.cfg["roles"])

    @property
    def rolesets(self) -> Tuple[str, ...]:
        return tuple(self.cfg["rolesets"])

    def _tables(self) -> Tuple:
        key = (tuple(self.cfg["roles"]), tuple(self.cfg["rolesets"]), id(self.cfg["form_rolesets"]))
        if self._cache is None or self._cache[0] != key:
            roles = list(self.cfg["roles"])
            sense_index = {r: i for i, r in enumerate(self.cfg["rolesets"])}
            by_lemma: Dict[str, List[int]] = defaultdict(list)
            for r, i in sense_index.items():
                by_lemma[r.rsplit(".", 1)[0]].append(i)
            by_form = {f: [sense_index[r] for r in rs if r in sense_index] for f, rs in self.cfg["form_rolesets"].items()}
            role_index = {r: i for i, r in enumerate(roles)}
            self._cache = (key, roles, role_index, sense_index, dict(by_lemma), by_form)
        return self._cache[1:]

    def _sense_weights(self) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """RETURNS: The roleset classifier's weights [n, F] and bias [n]
        (the PyTorch head's `sense` layer, read through thinc's shim)."""
        sense = self.model.layers[2].shims[0]._model.sense
        return _to_numpy(sense.weight.detach().cpu()), _to_numpy(sense.bias.detach().cpu())

    def _build_head(self) -> None:
        build_srl_head(self.model, len(make_tags(self.cfg["roles"])), len(self.cfg["rolesets"]))

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
        roles, _, sense_index, by_lemma, by_form = self._tables()
        rolesets = self.cfg["rolesets"]
        n_tags = 1 + 2 * len(roles)
        frames: List[List[FrameData]] = [[] for _ in docs]
        role_scores = _to_numpy(scores.roles)
        sense_scores = _to_numpy(scores.senses)
        features = None
        if not sense_scores.size and scores.sense_features is not None and len(scores.sense_features):
            # Prediction: only each predicate's candidate rolesets are scored.
            features = _to_numpy(scores.sense_features)
            weight, bias = self._sense_weights()
        pred_sent = _to_numpy(scores.pred_sent)
        pred_pos = _to_numpy(scores.pred_pos)
        bounds = [scores.sents[int(b)] for b in pred_sent]
        lengths = [e - s for _, s, e in bounds]
        # The best path of the raw scores is the best path of their
        # log-softmax: normalizing subtracts one constant per token, which
        # every path pays once. So the scores are decoded as they are.
        tag_scores = role_scores[:, : max(lengths, default=0), :n_tags].copy()
        tag_scores[numpy.arange(len(bounds)), pred_pos.astype("int64"), 1:] = NEG  # the predicate is never inside an argument
        paths = viterbi_batch(tag_scores, lengths)
        for p, ((i, s, e), path) in enumerate(zip(bounds, paths)):
            pos = int(pred_pos[p])
            head_scores = role_scores[p, : e - s, n_tags]
            arguments = []
            for role, a, b in tags_to_spans(path, roles):
                head = a + int(numpy.argmax(head_scores[a:b]))
                arguments.append((role, s + a, s + b, s + head))
            token = docs[i][s + pos]
            if not arguments and not self.auxiliary_frames and _is_auxiliary(token):
                continue
            if features is not None:
                logits: Any = _LogitsOnDemand(features[p], weight, bias)
            else:
                logits = sense_scores[p] if sense_scores.size else None
            roleset = _choose_roleset(token, logits, rolesets, by_form, by_lemma)
            frames[i].append(FrameData((s + pos, s + pos + 1), roleset, arguments))
        for doc, doc_frames in zip(docs, frames):
            write_frames(doc, doc_frames, self.cfg["spans_key"])

    def prepare_silver(self, doc: Doc) -> None:
        """Make this component's frames on `doc` fit to train another model
        on (`spacy-bert silver`): a roleset it only guessed for a word never
        seen in training (`lemma.01`, or the lower-cased form: "absorbed.01")
        would become a roleset the student predicts by word form, shadowing
        the stem lookup that finds "absorb.01"; it is dropped (the frame
        keeps its arguments, with no roleset to learn)."""
        sense_index = self._tables()[2]
        key = self.cfg["spans_key"]
        frames = read_frames(doc, key)
        for frame in frames:
            if frame.roleset not in sense_index:
                frame.roleset = None
        write_frames(doc, frames, key)

    # ---------------------------------------------------------------- training
    def _aligned_gold(self, example: Example) -> Optional[List[FrameData]]:
        """Gold frames in the predicted doc's tokens; None: no SRL gold."""
        ref = example.reference
        key = self.cfg["spans_key"]
        if not has_frames(ref, key):
            return None
        gold = read_frames(ref, key)
        pred = example.predicted
        if len(pred) == len(ref) and all(a.text == b.text for a, b in zip(pred, ref)):
            return gold
        y2x = example.alignment.y2x

        def x_tokens(start: int, end: int) -> List[int]:
            return [int(x) for i in range(start, end) for x in y2x[i]]

        aligned = []
        for frame in gold:
            pred_tokens = x_tokens(*frame.predicate)
            if not pred_tokens:
                continue
            arguments = []
            for role, start, end, head in frame.arguments:
                span_tokens = x_tokens(start, end)
                head_tokens = x_tokens(head, head + 1)
                if span_tokens and head_tokens:
                    arguments.append((role, min(span_tokens), max(span_tokens) + 1, head_tokens[0]))
            aligned.append(FrameData((pred_tokens[0], pred_tokens[0] + 1), frame.roleset, arguments))
        return aligned

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
        gold = [self._aligned_gold(eg) for eg in examples]
        gold_predicates = [[f.predicate[0] for f in g] if g else [] for g in gold]
        docs = [eg.predicted for eg in examples]
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update((docs, gold_predicates))
        loss, d_scores = self._loss(scores, gold)
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
        return self._loss(scores, [self._aligned_gold(eg) for eg in examples])

    def _loss(self, scores: SRLScores, gold: Sequence[Optional[List[FrameData]]]) -> Tuple[float, Any]:
        ops = self.model.ops
        roles, role_index, sense_index, _, _ = self._tables()
        n_tags = 1 + 2 * len(roles)
        pred = _to_numpy(scores.predicate)
        role_scores = _to_numpy(scores.roles)
        sense_scores = _to_numpy(scores.senses)
        d_pred = numpy.zeros_like(pred)
        d_roles = numpy.zeros_like(role_scores)
        d_senses = numpy.zeros_like(sense_scores)
        loss = 0.0
        # Predicate identification: every token of every annotated sentence.
        target = numpy.zeros_like(pred)
        weight = numpy.zeros_like(pred)
        for b, (i, s, e) in enumerate(scores.sents):
            if gold[i] is None:
                continue  # no SRL gold: no signal, not even "no predicate here"
            weight[b, : e - s] = 1.0
            for frame in gold[i]:
                t = frame.predicate[0]
                if s <= t < e:
                    target[b, t - s] = 1.0
        n_sents = max(1.0, float((weight.sum(axis=1) > 0).sum()))
        if pred.size:
            prob = _sigmoid(pred)
            loss += float(-(weight * (target * numpy.log(prob + 1e-8) + (1 - target) * numpy.log(1 - prob + 1e-8))).sum() / n_sents)
            d_pred = (prob - target) * weight / n_sents
        # Roles, heads and rolesets: per gold predicate (the model was run on them).
        frame_at: Dict[Tuple[int, int], FrameData] = {}
        for i, frames in enumerate(gold):
            for frame in frames or []:
                frame_at[(i, frame.predicate[0])] = frame
        pred_sent = _to_numpy(scores.pred_sent)
        pred_pos = _to_numpy(scores.pred_pos)
        n_pred = max(1.0, float(len(pred_sent)))
        for p in range(len(pred_sent)):
            i, s, e = scores.sents[int(pred_sent[p])]
            pos = int(pred_pos[p])
            frame = frame_at.get((i, s + pos))
            if frame is None:
                continue
            n = e - s
            inside = [(r, a - s, b - s) for r, a, b, _ in frame.arguments if s <= a and b <= e and not (a <= s + pos < b)]
            tags = spans_to_tags(inside, n, role_index)
            logp = log_softmax(role_scores[p, :n, :n_tags])
            loss += float(-logp[numpy.arange(n), tags].sum() / n_pred)
            d = numpy.exp(logp)
            d[numpy.arange(n), tags] -= 1.0
            d_roles[p, :n, :n_tags] = d / n_pred
            head_target = numpy.zeros((n,), dtype="f")
            for r, a, b, h in frame.arguments:
                if s <= h < e and r in role_index:
                    head_target[h - s] = 1.0
            head_prob = _sigmoid(role_scores[p, :n, n_tags])
            loss += float(-(head_target * numpy.log(head_prob + 1e-8) + (1 - head_target) * numpy.log(1 - head_prob + 1e-8)).sum() / n_pred)
            d_roles[p, :n, n_tags] = (head_prob - head_target) / n_pred
            if frame.roleset in sense_index and sense_scores.size:
                k = sense_index[frame.roleset]
                logq = log_softmax(sense_scores[p])
                loss += float(-logq[k] / n_pred)
                dq = numpy.exp(logq)
                dq[k] -= 1.0
                d_senses[p] = dq / n_pred
        return loss, (ops.asarray(d_pred), ops.asarray(d_roles), ops.asarray(d_senses))

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
        self._cache = None
        if not self.cfg["roles"]:
            raise ValueError(
                f"No semantic role annotation found under doc.spans[{key!r}] in "
                "the initialization examples: convert the data with `spacy-bert "
                "convert up-conllu` or set [components.srl] spans_key."
            )
        self._build_head()
        docs = [eg.predicted for eg in islice(get_examples(), 10)]
        self.model.initialize(X=(docs, None))

    # ----------------------------------------------------------- serialization
    # The head's size depends on the labels: build it from cfg before the
    # weights are loaded into it.
    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "SemanticRoleLabeler":
        msg = srsly.msgpack_loads(bytes_data)
        if "cfg" in msg and "cfg" not in exclude:
            self.cfg.update(srsly.json_loads(msg["cfg"]))
            self._cache = None
            if self.cfg["roles"]:
                self._build_head()
        return super().from_bytes(bytes_data, exclude=exclude)

    def from_disk(self, path: Path, *, exclude: Iterable[str] = tuple()) -> "SemanticRoleLabeler":
        path = ensure_path(path)
        if (path / "cfg").exists() and "cfg" not in exclude:
            self.cfg.update(srsly.read_json(path / "cfg"))
            self._cache = None
            if self.cfg["roles"]:
                self._build_head()
        return super().from_disk(path, exclude=exclude)


class _LogitsOnDemand:
    """One predicate's roleset logits, each computed when `_choose_roleset`
    asks for it (`self[k]`), as the full classifier would give it."""

    def __init__(self, features: numpy.ndarray, weight: numpy.ndarray, bias: numpy.ndarray) -> None:
        self.features, self.weight, self.bias = features, weight, bias

    def __getitem__(self, k: int) -> float:
        return float(self.weight[k] @ self.features + self.bias[k])


def _choose_roleset(
    token: Token,
    logits: Any,
    rolesets: Sequence[str],
    by_form: Dict[str, List[int]],
    by_lemma: Dict[str, List[int]],
) -> Optional[str]:
    """The best-scoring roleset seen in training for the token's lemma or
    word form; for a predicate never seen in training, its lemma + ".01".
    The lemma comes from a lemmatizer earlier in the pipeline (the project
    configs and the default pipeline run spaCy's lookup lemmatizer): without
    one, an unseen predicate gets no roleset rather than one made from its
    surface form ("rode.01" for ride.01)."""
    lemma = token.lemma_.lower() if token.lemma_ else ""
    candidates = list(by_lemma.get(lemma, [])) + list(by_form.get(token.lower_, []))
    if candidates and logits is not None:
        return rolesets[max(candidates, key=lambda k: logits[k])]
    return f"{lemma}.01" if lemma else None


def _is_auxiliary(token: Token) -> bool:
    return token.lower_ in AUXILIARY_FORMS or token.lemma_.lower() in AUXILIARY_FORMS


def _sigmoid(x: numpy.ndarray) -> numpy.ndarray:
    return 1.0 / (1.0 + numpy.exp(-numpy.clip(x, -30, 30)))


def _to_numpy(array: Any) -> numpy.ndarray:
    if hasattr(array, "get"):  # cupy
        return array.get()
    return numpy.asarray(array)
