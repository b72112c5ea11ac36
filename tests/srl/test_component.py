"""bert_srl on the tiny BERT: training, output, serialization, edge cases."""

import pickle

import numpy
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import DocBin, Span
from spacy.training import Example
from spacy.util import fix_random_seed

from spacy_bert_components.srl.frames import FrameData, has_frames, read_frames, write_frames
from spacy_bert_components.srl.loss import aligned_gold

from ..util import blank_with_encoder, listener_config
from .util import TRAIN_DATA, assert_well_formed, frame_tuples, gold_doc, make_examples, srl_config

TEXTS = [
    "John ate the apple and Mary drank tea .",
    "The cat saw a dog that barked loudly .",
    "",
    "Hello",
    "Mary drank tea . The cat saw a dog .",
    "a . b . c",
    "John ate .",
    "The dog barked loudly and the cat saw John .",
    "tea apple loudly",
]


def _pipeline(tiny_bert: str) -> Language:
    nlp = blank_with_encoder(tiny_bert)
    nlp.add_pipe("bert_srl", name="srl", config=srl_config())
    return nlp


def _expected(words, frames):
    return [(p[0], r, tuple((role, s, e) for role, s, e, _ in a), tuple(h for *_, h in a)) for p, r, a in frames]


def test_overfits_two_sentences(trained):
    for words, frames in TRAIN_DATA:
        doc = trained(" ".join(words))
        assert frame_tuples(doc) == _expected(words, frames)


def test_frames_api(trained):
    doc = trained("John ate the apple and Mary drank tea .")
    frame = doc._.srl[0]
    assert frame.predicate.text == "ate"
    assert frame.roleset == "eat.01"
    assert [(role, span.text) for role, span in frame.arguments] == [("ARG0", "John"), ("ARG1", "the apple")]
    assert frame.to_dict()["arguments"][1]["head"] == "apple"
    # span._.srl: the frames whose predicate lies in the span
    two = trained("Mary drank tea . The cat saw a dog .")
    sents = list(two.sents)
    assert [f.predicate.text for f in sents[0]._.srl] == [
        f.predicate.text for f in two._.srl if f.predicate.start < sents[0].end
    ]
    assert all(sents[1].start <= f.predicate.start for f in sents[1]._.srl)
    assert len(sents[0]._.srl) + len(sents[1]._.srl) == len(two._.srl)
    # stored where DocBin keeps it: predicates and arguments in the span group
    group = doc.spans["srl"]
    assert {s.label_ for s in group} >= {"V", "ARG0", "ARG1"}


def test_well_formed_even_when_every_token_is_a_predicate(trained):
    srl = trained.get_pipe("srl")
    threshold = srl.cfg["threshold"]
    srl.cfg["threshold"] = 1e-6
    try:
        docs = list(trained.pipe(TEXTS))
    finally:
        srl.cfg["threshold"] = threshold
    assert len(docs[0]._.srl) > 2  # more predicates than the two real ones
    for doc in docs:
        assert_well_formed(doc)


def test_empty_and_verbless_docs(trained):
    empty = trained("")
    assert empty._.srl == []
    assert has_frames(empty)
    for text in ["Hello", "tea apple loudly", "a . b . c"]:
        doc = trained(text)
        assert_well_formed(doc)
    assert list(trained.pipe([])) == []


def test_batch_sizes_agree(trained):
    one = [frame_tuples(d) for d in trained.pipe(TEXTS, batch_size=1)]
    eight = [frame_tuples(d) for d in trained.pipe(TEXTS, batch_size=8)]
    assert one == eight


def test_round_trips(trained, tmp_path):
    docs = list(trained.pipe(TEXTS))
    expected = [frame_tuples(d) for d in docs]
    assert any(expected)
    trained.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert [frame_tuples(d) for d in loaded.pipe(TEXTS)] == expected
    config = trained.config
    fresh = spacy.util.load_model_from_config(config, auto_fill=True)
    fresh.from_bytes(trained.to_bytes())
    assert [frame_tuples(d) for d in fresh.pipe(TEXTS)] == expected
    unpickled = pickle.loads(pickle.dumps(trained))
    assert [frame_tuples(d) for d in unpickled.pipe(TEXTS)] == expected
    # the annotations survive DocBin, doc.to_bytes and pickling of docs
    db = DocBin(docs=docs)
    restored = list(DocBin().from_bytes(db.to_bytes()).get_docs(trained.vocab))
    assert [frame_tuples(d) for d in restored] == expected
    from spacy.tokens import Doc

    assert [frame_tuples(Doc(trained.vocab).from_bytes(d.to_bytes())) for d in docs] == expected
    assert [frame_tuples(pickle.loads(pickle.dumps(d))) for d in docs] == expected


def test_uninitialized_use_raises(tiny_bert):
    nlp = _pipeline(tiny_bert)
    with pytest.raises(ValueError, match="not initialized"):
        nlp.get_pipe("srl").predict([nlp.make_doc("John ate .")])


def test_initialize_without_srl_gold_raises(tiny_bert):
    nlp = _pipeline(tiny_bert)
    examples = [Example.from_dict(nlp.make_doc("John ate ."), {})]
    with pytest.raises(ValueError, match="No semantic role annotation"):
        nlp.initialize(lambda: examples)


def test_docs_without_srl_gold_give_no_loss(tiny_bert):
    nlp = _pipeline(tiny_bert)
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    other_task = [Example.from_dict(nlp.make_doc("The film was great ."), {"cats": {"POS": 1.0}})]
    losses = nlp.update(other_task, sgd=optimizer)
    assert losses["srl"] == 0.0
    losses = nlp.update(examples, sgd=optimizer)
    assert losses["srl"] > 0.0


def test_never_overwrites_a_foreign_span_group(trained):
    doc = trained.make_doc("John ate the apple .")
    doc.spans["srl"] = [Span(doc, 0, 1, label="PERSON")]
    for name, proc in trained.pipeline:
        if name != "srl":
            doc = proc(doc)
    with pytest.raises(ValueError, match="another component"):
        trained.get_pipe("srl")(doc)


def test_gold_with_other_tokenization_is_aligned(trained):
    srl = trained.get_pipe("srl")
    words = ["John", "ate", "the", "apple", "."]
    ref = gold_doc(trained, words, [((1, 2), "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 4, 3)])])
    predicted = trained.make_doc("John ate the apple.")  # the same tokens
    gold = aligned_gold(Example(predicted, ref), srl.cfg["spans_key"])
    assert gold[0].predicate == (1, 2)
    ref2 = gold_doc(trained, ["Johnate", "the", "apple"], [((0, 1), "eat.01", [("ARG1", 1, 3, 2)])])
    gold2 = aligned_gold(Example(trained.make_doc("Johnate the apple"), ref2), srl.cfg["spans_key"])
    assert gold2[0].arguments == [("ARG1", 1, 3, 2)]


def test_standalone_encoder(tiny_bert):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        "bert_srl",
        config={
            "model": {
                "hidden_size": 16,
                "tok2vec": {"@architectures": "spacy-bert-components.Tok2VecEncoder.v1", "name": tiny_bert},
            }
        },
    )
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    losses = {}
    nlp.update(examples, sgd=optimizer, losses=losses)
    assert losses["bert_srl"] > 0
    doc = nlp("John ate the apple .")
    assert_well_formed(doc)
    assert has_frames(doc)


def test_frames_storage_round_trip(trained):
    doc = trained.make_doc("John ate the apple .")
    frames = [FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 4, 3)])]
    write_frames(doc, frames)
    assert read_frames(doc) == frames
    assert [s.label_ for s in doc.spans["srl"]] == ["V", "ARG0", "ARG1"]


def test_roleset_prefix_comes_from_the_lemma():
    from spacy_bert_components.srl.rolesets import RolesetIndex

    nlp = spacy.blank("en")
    doc = nlp.make_doc("He nominates and rode and zorbled")
    index = RolesetIndex.from_labels(
        ["ARG0"], ["nominate.01", "nominate.02", "ride.01"], {"nominates": ["nominate.01", "nominate.02"]}
    )
    assert index.by_lemma == {"nominate": [0, 1], "ride": [2]}
    logits = [0.1, 0.9, 0.5]
    # No lemmatizer ran: a form seen in training still finds its rolesets,
    # an unseen form gets no roleset rather than one built from its surface.
    assert index.choose(doc[1], logits) == "nominate.02"
    assert index.choose(doc[3], logits) is None
    doc[3].lemma_, doc[5].lemma_ = "ride", "zorble"
    assert index.choose(doc[3], logits) == "ride.01"
    assert index.choose(doc[5], logits) == "zorble.01"  # unseen: lemma.01


def test_choose_all_equals_choose_with_the_full_classifier():
    """Prediction scores only each predicate's candidate rolesets, all in
    one product (`RolesetIndex.choose_all`); it must choose what `choose`
    chooses from the full classifier's logits, and lemma.01 (or nothing)
    where no roleset was seen."""
    from spacy_bert_components.srl.rolesets import RolesetIndex

    nlp = spacy.blank("en")
    doc = nlp("They nominated him and rode off and zorbled")
    index = RolesetIndex.from_labels(
        [],
        ["nominate.01", "nominate.02", "ride.01", "ride.02"],
        {"nominated": ["nominate.02"], "rode": ["ride.02", "ride.01"]},
    )
    doc[3].lemma_, doc[6].lemma_ = "and", "zorble"
    tokens = [doc[1], doc[3], doc[4], doc[6], doc[7]]
    rng = numpy.random.default_rng(0)
    for _ in range(20):
        features = rng.normal(size=(len(tokens), 8)).astype("float32")
        weight, bias = rng.normal(size=(4, 8)).astype("float32"), rng.normal(size=4).astype("float32")
        full = features @ weight.T + bias
        expected = [index.choose(token, full[p]) for p, token in enumerate(tokens)]
        assert index.choose_all(tokens, features, weight, bias) == expected
    assert expected[1] == "and.01" and expected[4] is None
    assert index.choose_all([], features[:0], weight, bias) == []


def test_lookup_lemmatizer_gives_rolesets_of_irregular_forms():
    """With spaCy's lookup lemmatizer before bert_srl (as in the project
    configs), "rode" is chosen as ride.01, never rode.01."""
    from spacy_bert_components.srl.rolesets import RolesetIndex

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    doc = nlp("She rode a bike and gave it away")
    index = RolesetIndex.from_labels([], [], {})
    assert index.choose(doc[1], None) == "ride.01"
    assert index.choose(doc[5], None) == "give.01"


def test_light_conv_head_overfits_and_round_trips(tiny_bert, tmp_path):
    """SRLConvModel.v1 (convolutions instead of the per-predicate BiLSTM)."""
    fix_random_seed(0)
    nlp = blank_with_encoder(tiny_bert)
    nlp.add_pipe(
        "bert_srl",
        name="srl",
        config=srl_config(**{"@architectures": "spacy-bert-components.SRLConvModel.v1", "between_width": 0}),
    )
    _assert_overfits_and_round_trips(nlp, tmp_path)


def _assert_overfits_and_round_trips(nlp: Language, tmp_path) -> None:
    """120 updates fit both training sentences; saved and loaded, the
    pipeline gives the same frames."""
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    optimizer.learn_rate = 0.01
    for _ in range(120):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    texts = [" ".join(words) for words, _ in TRAIN_DATA]
    for text, (words, frames) in zip(texts, TRAIN_DATA):
        assert frame_tuples(nlp(text)) == _expected(words, frames)
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert [frame_tuples(d) for d in loaded.pipe(texts)] == [frame_tuples(d) for d in nlp.pipe(texts)]


def test_silver_frames_keep_only_rolesets_the_teacher_knows(trained, tmp_path):
    """A teacher's guessed rolesets (`form.01` for words it never saw) are
    not written as silver gold: the frames keep their arguments."""
    from spacy_bert_components.training.silver import label_with_teacher

    known = set(trained.get_pipe("srl").cfg["rolesets"])
    text = "John ate the apple and Mary gulped tea ."
    predicted = read_frames(trained(text), "srl")
    assert predicted, "the overfit pipeline finds frames here"
    path = tmp_path / "silver.spacy"
    label_with_teacher(trained, [text], path)
    (doc,) = DocBin().from_disk(path).get_docs(trained.vocab)
    silver = read_frames(doc, "srl")
    assert [(f.predicate, f.arguments) for f in silver] == [(f.predicate, f.arguments) for f in predicted]
    for got, teacher_said in zip(silver, predicted):
        assert got.roleset == (teacher_said.roleset if teacher_said.roleset in known else None)
    assert any(f.roleset not in known for f in predicted), "'gulped' gets a guessed roleset"
    assert any(f.roleset in known for f in silver), "'ate' keeps its learned one"


def test_argument_less_auxiliary_frames_are_written_only_when_asked(trained):
    """Scores that make "had" and "eaten" predicates with no argument: the
    auxiliary's frame (PropBank's have.01) is left out unless
    auxiliary_frames is set; a content verb's frame is always written."""
    from spacy_bert_components.srl.model import SRLScores

    srl = trained.get_pipe("srl")
    n_tags = 1 + 2 * len(srl.labels)
    roles = numpy.zeros((2, 5, n_tags + 1), dtype="f")
    roles[:, :, 0] = 10.0  # every token outside every argument
    scores = SRLScores(
        sents=[(0, 0, 5)],
        predicate=numpy.zeros((1, 5), dtype="f"),
        roles=roles,
        senses=numpy.zeros((2, len(srl.rolesets)), dtype="f"),
        pred_sent=numpy.array([0, 0]),
        pred_pos=numpy.array([1, 2]),
    )
    for auxiliary_frames, expected in ((False, ["eaten"]), (True, ["had", "eaten"])):
        srl.auxiliary_frames = auxiliary_frames
        doc = trained.make_doc("John had eaten apples .")
        srl.set_annotations([doc], scores)
        assert [f.predicate.text for f in doc._.srl] == expected
        assert all(not f.arguments for f in doc._.srl)
    srl.auxiliary_frames = False


def test_predicted_spans_are_trimmed_of_edge_punctuation(trained):
    """Scores that make ", apples ," an argument of "ate": the written span
    is "apples", as the converters trim gold spans; punctuation that is the
    head stays."""
    from spacy_bert_components.srl.model import SRLScores

    srl = trained.get_pipe("srl")
    n_tags = 1 + 2 * len(srl.labels)
    begin = 1 + 2 * srl.labels.index("ARG1")
    roles = numpy.zeros((2, 6, n_tags + 1), dtype="f")
    roles[:, :, 0] = 10.0
    roles[0, 2:5, 0] = 0.0
    roles[0, 2, begin], roles[0, 3:5, begin + 1] = 20.0, 20.0  # ", apples ," for "ate"
    roles[0, 3, n_tags] = 5.0  # head: "apples"
    roles[1, 4, 0], roles[1, 4, begin] = 0.0, 20.0  # "," alone for "slept"
    scores = SRLScores(
        sents=[(0, 0, 6)],
        predicate=numpy.zeros((1, 6), dtype="f"),
        roles=roles,
        senses=numpy.zeros((2, len(srl.rolesets)), dtype="f"),
        pred_sent=numpy.array([0, 0]),
        pred_pos=numpy.array([1, 5]),
    )
    doc = trained.make_doc("John ate , apples , slept")
    srl.set_annotations([doc], scores)
    assert [[(role, span.text) for role, span in f.arguments] for f in doc._.srl] == [
        [("ARG1", "apples")],
        [("ARG1", ",")],
    ]


def test_frames_marked_the_legacy_way_are_read_and_replaced():
    """DocBins converted with `{"format": "bert_srl.v1"}` on their frame
    groups (no `kind`) are read as frames and may be overwritten by frames."""
    from spacy.tokens import SpanGroup

    doc = spacy.blank("en").make_doc("John ate the apple .")
    frames = [FrameData((1, 2), "eat.01", [("ARG0", 0, 1, 0)])]
    doc.spans["srl"] = SpanGroup(
        doc, name="srl", attrs={"format": "bert_srl.v1", "frames": [f.to_msg() for f in frames]}
    )
    assert has_frames(doc) and read_frames(doc) == frames
    write_frames(doc, [], annotator="srl")
    assert has_frames(doc) and read_frames(doc) == []


def _top_layers_pipeline(tiny_bert: str):
    nlp = blank_with_encoder(tiny_bert, hidden_states=True)
    config = {
        "model": {
            "@architectures": "spacy-bert-components.SRLTopLayersModel.v1",
            "top_layers": 1,
            "tok2vec": listener_config(mix_layers=True),
        }
    }
    nlp.add_pipe("bert_srl", name="srl", config=config)
    return nlp


def test_top_layers_head_starts_from_the_encoder_and_trains_them_slower(tiny_bert):
    """SRLTopLayersModel.v1: the copied layer starts as the encoder's last
    layer, the mix mostly on the hidden state that layer reads, and an
    update moves the copied layer at `layers_lr_scale` (0.1) of the rate
    that moves the rest of the head (Adam's first step is the rate itself)."""
    import torch
    from transformers import AutoModel

    fix_random_seed(0)
    nlp = _top_layers_pipeline(tiny_bert)
    examples = make_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    srl = nlp.get_pipe("srl")
    head = srl.model.layers[2].shims[0].head
    encoder_layer = AutoModel.from_pretrained(tiny_bert).encoder.layer[-1].state_dict()
    for name, value in head.layers[0].state_dict().items():
        assert torch.equal(value, encoder_layer[name]), name
    mix = srl.model.get_ref("tok2vec").layers[-1]
    weights = numpy.exp(mix.get_param("W")) / numpy.exp(mix.get_param("W")).sum()
    assert weights.shape == (3,) and weights.argmax() == 1 and abs(weights[1] - 0.9) < 1e-4
    before = {name: p.detach().clone() for name, p in head.named_parameters()}
    optimizer.learn_rate = 0.01
    nlp.update(examples, sgd=optimizer, drop=0.0)
    moved = {name: float((p.detach() - before[name]).abs().max()) for name, p in head.named_parameters()}
    layer_moves = [m for name, m in moved.items() if name.startswith("layers.")]
    assert max(layer_moves) <= 0.0011 and max(layer_moves) > 0.0005
    assert moved["tagger.3.weight"] > 0.005


def test_top_layers_head_overfits_and_round_trips(tiny_bert, tmp_path):
    fix_random_seed(0)
    _assert_overfits_and_round_trips(_top_layers_pipeline(tiny_bert), tmp_path)
