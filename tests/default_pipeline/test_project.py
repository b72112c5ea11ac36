"""projects/default_pipeline: it builds into its own training/ folder, only
`install-into-package` writes into the package, its head commands run
workflows the task projects define, and the generated joint config goes to
training/. Runs the light commands only (the heads take hours)."""

import os
import shlex
import subprocess
import sys

import pytest
import spacy
from weasel.cli.run import project_run
from weasel.util import load_project_config

from ..local_data import assert_assets_feed_commands, copy_project

TASK_PROJECTS = ("ner_conll03", "sentiment_sst2", "srl_up_english", "summarization", "accurate_pipeline")


@pytest.fixture
def project(tmp_path):
    for name in TASK_PROJECTS:
        copy_project(name, tmp_path / "projects")
    return copy_project("default_pipeline", tmp_path / "projects")


def _sub_project_run(script: str):
    """(workflow or command, project path, overrides) of a `spacy project run` line."""
    args = shlex.split(script)
    assert args[:5] == ["python", "-m", "spacy", "project", "run"], script
    name, path, rest = args[5], args[6], args[7:]
    overrides = {key.lstrip("-"): value for key, value in zip(rest[::2], rest[1::2])}
    return name, path, overrides


def test_commands_read_what_commands_make(project):
    assert_assets_feed_commands(project, data_commands=())


def test_accurate_commands_read_what_commands_make(project):
    assert_assets_feed_commands(project.parent / "accurate_pipeline", data_commands=())


def test_head_commands_run_the_task_projects_workflows(project):
    """Each head command runs one workflow of a task project, and what it
    declares as outputs is made there."""
    config = load_project_config(project)
    for command in config["commands"]:
        if not command["name"].endswith(("-head", "-teacher")):
            continue
        [script] = command["script"]
        name, path, overrides = _sub_project_run(script)
        task = load_project_config(project / path, overrides=overrides)
        assert name in task["workflows"], script
        steps = {cmd["name"]: cmd for cmd in task["commands"] if cmd["name"] in task["workflows"][name]}
        made = {os.path.normpath(f"{path}/{out}") for cmd in steps.values() for out in cmd.get("outputs", [])}
        assert set(command["outputs"]) <= made, (command["name"], set(command["outputs"]) - made)


def _script_writes_into(line: str, folder: str) -> bool:
    """Whether a script line writes into folder: an `--output` there, or a
    copy or install whose last argument is there. Reading from it is fine
    (the SRL head trains further from the installed one)."""
    args = shlex.split(line)
    targets = [value for flag, value in zip(args, args[1:]) if flag == "--output"]
    if args[0] in ("cp", "mv") or any(arg.endswith("install_pipeline.py") for arg in args):
        targets.append(args[-1])
    return any(target.startswith(folder) for target in targets)


def test_only_install_into_package_writes_into_the_package(project):
    config = load_project_config(project)
    package_dir = config["vars"]["package_dir"]
    assert config["vars"]["pipeline"].startswith("training/")
    writers = [
        cmd["name"]
        for cmd in config["commands"]
        if any(out.startswith(package_dir) for out in cmd.get("outputs", []))
        or any(_script_writes_into(line, package_dir) for line in cmd["script"])
    ]
    assert writers == ["install-into-package"]
    assert not any("install-into-package" in steps for steps in config["workflows"].values())


def test_install_into_package(project, tmp_path):
    package_dir = tmp_path / "package" / "default_pipeline"
    package_dir.parent.mkdir()
    spacy.blank("en").to_disk(package_dir)
    built = spacy.blank("en")
    built.add_pipe("sentencizer")
    (project / "training").mkdir()
    built.to_disk(project / "training" / "default_pipeline")
    project_run(project, "install-into-package", overrides={"vars.package_dir": str(package_dir)}, capture=True)
    assert spacy.load(package_dir).pipe_names == ["sentencizer"]
    assert not package_dir.with_name("default_pipeline.installing").exists()
    # A folder that is not a saved pipeline is never replaced.
    other = tmp_path / "not_a_pipeline"
    other.mkdir()
    (other / "notes.txt").write_text("keep", encoding="utf8")
    cmd = [sys.executable, "scripts/install_pipeline.py", "training/default_pipeline", str(other)]
    result = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    assert result.returncode != 0 and "not a saved pipeline" in result.stderr
    assert (other / "notes.txt").read_text(encoding="utf8") == "keep"


def test_joint_config_is_generated_into_training(project):
    project_run(project, "joint-config", capture=True)
    assert not (project / "configs" / "adapted.cfg").exists()
    config = spacy.util.load_config(project / "training" / "adapted.cfg", interpolate=False)
    assert config["nlp"]["pipeline"] == ["sentencizer", "transformer", "ner", "sentiment", "srl", "summarizer"]
    assert config["components"]["ner"] == {"source": "../ner_conll03/training/light/model-best"}
