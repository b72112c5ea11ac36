"""Trained heads sourced beside a fresh (adapted) encoder: the
`link_sourced_listeners.v1` callback relinks what `init_nlp` drops."""

from spacy.language import DEFAULT_CONFIG
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.training.initialize import init_nlp
from spacy.util import load_config_from_str

from ..util import blank_with_encoder, listener_config

TRAIN_DATA = [
    ("Angela Merkel visited Paris.", [(0, 13, "PER"), (22, 27, "LOC")]),
    ("John lives in London.", [(0, 4, "PER"), (14, 20, "LOC")]),
]

CONFIG = """
[paths]
head = null
encoder = null
train = null

[nlp]
lang = "en"
pipeline = ["transformer", "ner"]

[components]

[components.transformer]
factory = "transformer"

[components.transformer.model]
@architectures = "spacy-bert-components.AdaptedEncoder.v1"
name = ${paths.encoder}
lora_rank = 2

[components.ner]
source = ${paths.head}

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.train}

[training]

[initialize]

[initialize.after_init]
@callbacks = "spacy-bert-components.link_sourced_listeners.v1"
component = "transformer"
"""


def test_sourced_head_listens_to_the_new_encoder(tiny_bert, tmp_path):
    nlp = blank_with_encoder(tiny_bert, sentencizer=False)
    nlp.add_pipe(
        "bert_ner",
        name="ner",
        config={"model": {"tok2vec": listener_config(), "hidden_width": 16, "context_width": 16, "feature_width": 8}},
    )
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN_DATA]
    nlp.initialize(lambda: examples)
    nlp.to_disk(tmp_path / "head")
    DocBin(docs=[eg.reference for eg in examples]).to_disk(tmp_path / "train.spacy")

    config = load_config_from_str(
        CONFIG,
        overrides={
            "paths.head": str(tmp_path / "head"),
            "paths.encoder": tiny_bert,
            "paths.train": str(tmp_path / "train.spacy"),
        },
    )
    # spaCy's defaults around it, keeping `source` (a loaded nlp's config would
    # no longer mark the head as sourced).
    joint = init_nlp(DEFAULT_CONFIG.merge(config))
    transformer = joint.get_pipe("transformer")
    assert "ner" in transformer.listener_map  # without the callback: {} (E203 on update)
    examples = [Example.from_dict(joint.make_doc(t), {"entities": e}) for t, e in TRAIN_DATA]
    losses = joint.update(examples)
    assert losses["ner"] > 0 and "transformer" in losses
