import json

from click.testing import CliRunner

from spacy_bert_components.cli.main import cli


def test_help_lists_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("info", "convert", "demo", "annotate", "show"):
        assert command in result.output


def test_every_command_has_help():
    runner = CliRunner()
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage" in result.output


def test_info_reports_default_encoder():
    result = CliRunner().invoke(cli, ["info"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert len(info["default_encoder"]["sha256"]) == 64
    assert info["default_encoder"]["path"].endswith("model")
    assert "default_pipeline" in info


def test_convert_rejects_unknown_format(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    result = CliRunner().invoke(cli, ["convert", "no-such-format", str(tmp_path / "x.txt"), str(tmp_path / "o.spacy")])
    assert result.exit_code == 2


def test_demo_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["demo", "--output", str(tmp_path)])
    assert result.exit_code != 0
    assert "_manifest.json" in str(result.exception) + result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"
