"""`spacy train` on the tiny BERT, through entry points alone (no --code)."""

import subprocess
import sys

import pytest
import spacy
from spacy.tokens import DocBin

CONFIG = """
[paths]
train = null
dev = null
encoder = "default"

[nlp]
lang = "en"
pipeline = ["transformer","textcat"]
batch_size = 8

[components]

[components.transformer]
factory = "transformer"

[components.transformer.model]
@architectures = "spacy-bert-components.Encoder.v1"
name = ${paths.encoder}

[components.textcat]
factory = "textcat"

[components.textcat.model]
@architectures = "spacy.TextCatReduce.v1"
exclusive_classes = true
use_reduce_first = false
use_reduce_last = false
use_reduce_max = false
use_reduce_mean = true

[components.textcat.model.tok2vec]
@architectures = "spacy-bert-components.Listener.v1"

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.dev}

[training]
max_steps = 6
eval_frequency = 3
dropout = 0.0

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.001

[initialize]
"""


FROZEN_OVERRIDES = """
[paths]
encoder = "default"

[components]

[components.transformer]

[components.textcat]

[components.textcat.model]

[components.transformer.model]
@architectures = "spacy-bert-components.Encoder.v1"
name = ${paths.encoder}
transformer_config = {"output_hidden_states": true}
save_weights = false

[components.textcat.model.tok2vec]
@architectures = "spacy-bert-components.Listener.v1"
mix_layers = true

[training]
frozen_components = ["transformer"]
annotating_components = ["transformer"]

[initialize]

[initialize.before_init]
@callbacks = "spacy-bert-components.init_frozen_encoder.v1"
"""


def _write_corpus(path):
    nlp = spacy.blank("en")
    db = DocBin()
    for text, pos in [("good great lovely", 1.0), ("bad awful dull", 0.0)] * 4:
        doc = nlp.make_doc(text)
        doc.cats = {"POS": pos, "NEG": 1.0 - pos}
        db.add(doc)
    db.to_disk(path)


@pytest.mark.slow
@pytest.mark.parametrize("frozen", [False, True], ids=["finetuned", "frozen"])
def test_spacy_train_with_tiny_bert(tiny_bert, tmp_path, frozen):
    from spacy.cli.init_config import fill_config
    from thinc.api import Config

    _write_corpus(tmp_path / "train.spacy")
    config = Config().from_str(CONFIG, interpolate=False)
    if frozen:
        config = config.merge(Config().from_str(FROZEN_OVERRIDES, interpolate=False))
    config.to_disk(tmp_path / "base.cfg", interpolate=False)
    fill_config(tmp_path / "config.cfg", tmp_path / "base.cfg", silent=True)
    cmd = [
        sys.executable,
        "-m",
        "spacy",
        "train",
        str(tmp_path / "config.cfg"),
        "--output",
        str(tmp_path / "out"),
        "--paths.train",
        str(tmp_path / "train.spacy"),
        "--paths.dev",
        str(tmp_path / "train.spacy"),
        "--paths.encoder",
        tiny_bert,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    nlp = spacy.load(tmp_path / "out" / "model-last")
    assert set(nlp("good").cats) == {"POS", "NEG"}
    if frozen:  # the encoder is saved by reference, and still the tiny BERT's
        from pathlib import Path

        from spacy_bert_components.encoder.resolve import weights_sha256

        trf_bytes = nlp.get_pipe("transformer").model.to_bytes()
        assert weights_sha256(Path(tiny_bert)).encode() in trf_bytes
