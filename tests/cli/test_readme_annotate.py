"""The README's `spacy-bert annotate` examples, read from README.md and run
as written on the repository's sample corpus (`corpus/`), with the default
pipeline, then the README's snippet that reads the output."""

import re
import shlex
from pathlib import Path
from typing import List

from click.testing import CliRunner

from spacy_bert_components.cli.main import cli

REPO_ROOT = Path(__file__).resolve().parents[2]
SECTION = "### `spacy-bert annotate`"
# Enough documents to reach three formats; all 22 take half a minute on a
# loaded 2-core machine, and reading every file is tests/test_sample_corpus.py's job.
MAX_DOCS = 6


def readme_section() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf8")
    start = text.index(SECTION)
    end = text.find("\n### ", start + len(SECTION))
    return text[start:end]


def annotate_commands(section: str) -> List[List[str]]:
    """RETURNS (List[List[str]]): The arguments of every `spacy-bert annotate`
    line of the section's bash block, continuations joined, comments dropped."""
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] == ["spacy-bert", "annotate"]:
            commands.append(words[1:])
    return commands


def python_snippet(section: str) -> str:
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_annotate_examples_run_on_the_sample_corpus(tmp_path, monkeypatch):
    section = readme_section()
    commands = annotate_commands(section)
    assert len(commands) >= 2 and all("corpus/" in " ".join(args) for args in commands)
    # The commands' relative paths as in a clone; their outputs in tmp_path.
    (tmp_path / "corpus").symlink_to(REPO_ROOT / "corpus", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for args in commands:
        if "--limit" not in args:
            args = [*args, "--limit", str(MAX_DOCS)]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
        output = Path(args[args.index("--output") + 1])
        assert (output / "_manifest.json").exists()
    namespace: dict = {}
    exec(python_snippet(section), namespace)
    table = namespace["table"]
    assert table.num_rows == MAX_DOCS
    assert {"ents", "sentiment", "srl", "summary"} <= set(table.column_names)
    assert any(len(ents) for ents in table.column("ents").to_pylist())
