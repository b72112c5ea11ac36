"""The accurate tier by name: `load("accurate")`, `--model accurate` in
`annotate`, `demo` and `show`, and the one-line error naming the install
command while its encoder is missing. The real pipeline needs the base-size
encoder, so these tests stand a config-only pipeline in for it."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from spacy_bert_components.batch.model import model_path
from spacy_bert_components.cli.main import cli
from spacy_bert_components.encoder import resolve as resolve_module
from spacy_bert_components.encoder.installed import ENCODERS_DIR_ENV
from spacy_bert_components.errors import EXIT_USAGE, EncoderNotFoundError, ModelNotFoundError
from spacy_bert_components.info import SHIPPED_PIPELINES, shipped_pipeline_path
from spacy_bert_components.pipeline import load

INSTALL = "spacy-bert encoder install all-mpnet-base-v2"

CONFIG = """[nlp]
lang = "en"
pipeline = ["sentencizer","transformer"]

[components]

[components.sentencizer]
factory = "sentencizer"

[components.transformer]
factory = "transformer"

[components.transformer.model]
@architectures = "spacy-bert-components.Encoder.v2"
name = "all-mpnet-base-v2"
save_weights = false
"""


@pytest.fixture
def no_installed_encoders(tmp_path, monkeypatch) -> None:
    """No encoder installed, and no hub name in this machine's Hugging Face cache."""
    monkeypatch.setenv(ENCODERS_DIR_ENV, str(tmp_path / "no-encoders"))
    monkeypatch.setattr(resolve_module, "_cached_hub_snapshot", lambda name: None)


@pytest.fixture
def accurate_without_encoder(tmp_path, monkeypatch, no_installed_encoders) -> Path:
    """A shipped "accurate" pipeline whose encoder is not installed: its
    config only, since nothing may load past the encoder check."""
    folder = tmp_path / "accurate_pipeline"
    folder.mkdir()
    (folder / "config.cfg").write_text(CONFIG)
    monkeypatch.setitem(SHIPPED_PIPELINES, "accurate", folder)
    return folder


def test_load_accurate_names_the_install_command(accurate_without_encoder):
    with pytest.raises(EncoderNotFoundError, match=INSTALL):
        load("accurate")


def test_model_path_finds_the_shipped_pipelines(accurate_without_encoder):
    assert model_path("accurate") == accurate_without_encoder
    assert model_path("default") == model_path(None) == shipped_pipeline_path("default")


def test_a_version_without_the_accurate_pipeline_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(SHIPPED_PIPELINES, "accurate", tmp_path / "absent")
    with pytest.raises(ModelNotFoundError, match="No accurate pipeline"):
        model_path("accurate")
    with pytest.raises(ModelNotFoundError, match="No accurate pipeline"):
        load("accurate")


def test_a_pipeline_with_its_own_weights_needs_no_installed_encoder(tmp_path, no_installed_encoders):
    from spacy_bert_components.pipeline import require_encoder

    folder = tmp_path / "own_weights"
    folder.mkdir()
    (folder / "config.cfg").write_text(CONFIG.replace("save_weights = false", "save_weights = true"))
    require_encoder(folder)


@pytest.mark.parametrize(
    "args",
    [
        ["annotate", "{corpus}", "-o", "{out}", "--model", "accurate", "--local"],
        ["demo", "--model", "accurate", "--output", "{out}"],
        ["show", "A text.", "--model", "accurate"],
    ],
    ids=["annotate", "demo", "show"],
)
def test_cli_model_accurate_without_encoder_is_one_line(accurate_without_encoder, tmp_path, args):
    out = tmp_path / "out"
    corpus = Path(__file__).resolve().parent.parent / "corpus" / "demo.jsonl"
    args = [a.format(out=out, corpus=corpus) for a in args]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == EXIT_USAGE, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and INSTALL in lines[0], result.output
    assert not (out / "_manifest.json").exists()


def test_the_shipped_accurate_pipeline_holds_its_heads_not_the_encoder():
    from spacy.util import load_config

    path = shipped_pipeline_path("accurate")
    assert path is not None, "the accurate pipeline is not in the package"
    config = load_config(path / "config.cfg", interpolate=False)
    expected = ["sentencizer", "lemmatizer", "transformer", "ner", "sentiment", "srl", "summarizer"]
    assert config["nlp"]["pipeline"] == expected
    encoder = config["components"]["transformer"]["model"]
    assert encoder["name"] == "all-mpnet-base-v2" and encoder["save_weights"] is False
    assert encoder["get_spans"]["@span_getters"] == "spacy-bert-components.sentence_windows.v1"
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert size < 40 * 2**20, f"{size} bytes: the encoder's weights would be 438 MB"


def _accurate_encoder_installed() -> bool:
    try:
        resolve_module.resolve_encoder("all-mpnet-base-v2")
    except EncoderNotFoundError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _accurate_encoder_installed(), reason="needs `spacy-bert encoder install all-mpnet-base-v2`")
def test_the_accurate_pipeline_annotates_once_its_encoder_is_installed():
    nlp = load("accurate")
    doc = nlp("Barack Obama flew to Berlin on Tuesday. It was a wonderful, moving visit.")
    ents = {(e.text, e.label_) for e in doc.ents}
    assert ("Barack Obama", "PER") in ents and ("Berlin", "LOC") in ents
    assert doc.cats["positive"] > 0.5
    assert [(f.predicate.text, f.roleset) for f in doc._.srl][:1] == [("flew", "fly.01")]
    assert doc._.summary
