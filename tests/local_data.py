"""The projects' tests: a local copy of the data, laid out as the projects'
assets/ and the shared data folder are (what SPACY_BERT_DATA points at),
written from each task's fixtures; and the helpers that check and run a
project on it."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional

import pytest
import srsly

from .ner.fixtures import write_conll03
from .sentiment.fixtures import write_sst2
from .srl.fixtures import write_propbank_ewt, write_up_english
from .summarization.fixtures import write_bbc, write_scitldr

PROJECTS = Path(__file__).resolve().parents[1] / "projects"
ENV_VAR = "SPACY_BERT_DATA"
LAYOUT: Dict[str, Callable[[Path], Path]] = {
    "ner/conll2003": write_conll03,
    "sentiment/sst2": write_sst2,
    "srl/propbank_ewt": write_propbank_ewt,
    "srl/up_english_ewt": write_up_english,
    "summarization/scitldr_a": write_scitldr,
    "summarization/bbc_news": write_bbc,
}


def write_local_copy(root: Path) -> Path:
    """Write every data set's fixture files into `root`, each in its folder.

    RETURNS (Path): The root.
    """
    for folder, write in LAYOUT.items():
        write(root / folder)
    return root


def copy_project(name: str, dest_root: Path) -> Path:
    """Copy what a clone of projects/NAME holds (project.yml, configs/,
    scripts/) to dest_root/NAME, so that a run writes nothing in the
    repository.

    RETURNS (Path): The copy.
    """
    source, dest = PROJECTS / name, dest_root / name
    dest.mkdir(parents=True)
    shutil.copy(source / "project.yml", dest / "project.yml")
    for folder in ("configs", "scripts"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, dest / folder)
    return dest


def run_project(project: Path, *args: str, local_data: Optional[Path]) -> None:
    """`spacy project run ARGS` in `project` (ARGS: the command or workflow,
    the project folder, then `--vars.x value` overrides), with
    SPACY_BERT_DATA set to `local_data` (unset for None); fails the test on
    an error, showing the failed command's output. Calls weasel's
    `project_run` in this process, as the CLI does: every command of the
    project still runs as its own subprocess, and each call saves a spaCy
    start-up of several seconds."""
    from weasel.cli.run import project_run
    from weasel.util import parse_config_overrides

    subcommand, project_dir, *rest = args
    assert Path(project_dir) == project, f"run_project runs in {project}, ARGS name {project_dir}"
    saved = os.environ.pop(ENV_VAR, None)
    if local_data is not None:
        os.environ[ENV_VAR] = str(local_data)
    try:
        project_run(project, subcommand, overrides=parse_config_overrides(list(rest)), capture=True)
    finally:
        os.environ.pop(ENV_VAR, None)
        if saved is not None:
            os.environ[ENV_VAR] = saved


def place_downloaded_assets(project: Path, local_data: Path, *, extra: bool = False) -> None:
    """Put the fixture files where `spacy project assets` puts the downloads:
    each asset's `dest` (assets/ner/conll2003/train.iob, ...) gets the file
    or folder of the same name in `local_data`."""
    from weasel.util import load_project_config

    for asset in load_project_config(project).get("assets", []):
        if asset.get("extra", False) and not extra:
            continue
        dest = project / asset["dest"]
        source = local_data / dest.relative_to(project / "assets")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copyfile(source, dest)


def assert_assets_feed_commands(
    project: Path, data_commands: Iterable[str] = ("data",), overrides: Optional[dict] = None
) -> None:
    """Check project.yml: every asset has a URL and md5 (or a git source)
    and lies under assets/; the data commands copy exactly the assets
    (SPACY_BERT_DATA through the `env` section) and declare them as outputs;
    every input a command reads is made by a command or is part of the
    project (configs/, scripts/). So with the defaults, the commands read
    what `spacy project assets` downloads."""
    from weasel.util import load_project_config

    raw = srsly.read_yaml(project / "project.yml")
    config = load_project_config(project, overrides=overrides or {})
    commands = {cmd["name"]: cmd for cmd in config["commands"]}
    dests = []
    for asset in config.get("assets", []):
        dests.append(asset["dest"])
        assert asset["dest"].startswith("assets/"), asset
        if "git" not in asset:
            assert asset.get("url", "").startswith("https://"), asset
            assert re.fullmatch(r"[0-9a-f]{32}", asset.get("checksum") or ""), asset
    if data_commands:
        assert raw["env"] == {"local_data": ENV_VAR}
    raw_commands = {cmd["name"]: cmd for cmd in raw["commands"]}
    filled = []
    for name in data_commands:
        [raw_script] = raw_commands[name]["script"]
        fill = "python -m spacy_bert_components fill-assets --local-copy '${env.local_data}' "
        assert raw_script.startswith(fill), raw_script
        [script] = commands[name]["script"]
        outputs = commands[name]["outputs"]
        assert shlex.split(script)[len(shlex.split(fill)) :] == outputs, f"{name} copies other paths than it declares"
        filled.extend(outputs)
    assert sorted(filled) == sorted(dests), "the data commands must fill exactly the assets"
    for cmd in raw["commands"]:
        # thinc's interpolation joins two list items in a row that are each a
        # bare "${vars.x}" into one string: "a, b".
        for key in ("script", "deps", "outputs"):
            assert len(cmd.get(key, [])) == len(commands[cmd["name"]].get(key, [])), (cmd["name"], key)
    made = [out for cmd in commands.values() for out in cmd.get("outputs", [])]
    for cmd in commands.values():
        for dep in cmd.get("deps", []):
            if any(dep == out or dep.startswith(out.rstrip("/") + "/") for out in made):
                continue
            assert (project / dep).exists(), (
                f"command {cmd['name']} reads {dep}: no command makes it, no asset holds it"
            )


def assert_data_reads_downloads(
    project: Path, local_data: Path, commands: Iterable[str] = ("data",), *, extra: bool = False
) -> None:
    """Without SPACY_BERT_DATA, the data commands fail, naming `spacy project
    assets`, while the assets are missing, and pass once they are where the
    downloads go. Runs weasel in this process (no spaCy start-up per run)."""
    from weasel.cli.run import project_run

    saved = os.environ.pop(ENV_VAR, None)
    try:
        for command in commands:
            with pytest.raises(subprocess.SubprocessError, match="spacy project assets"):
                project_run(project, command, capture=True)
        place_downloaded_assets(project, local_data, extra=extra)
        for command in commands:
            project_run(project, command, capture=True)
    finally:
        if saved is not None:
            os.environ[ENV_VAR] = saved
