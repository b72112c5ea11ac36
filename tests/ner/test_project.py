"""projects/ner_conll03: `spacy project run all` offline on a tiny slice."""
import shutil
import subprocess
import sys
from pathlib import Path

import spacy
from thinc.api import Config

PROJECT = Path(__file__).resolve().parents[2] / "projects" / "ner_conll03"


def test_project_workflow_on_a_tiny_slice(tiny_bert, shared_data, tmp_path):
    project = tmp_path / "ner_conll03"
    shutil.copytree(PROJECT / "configs", project / "configs")
    shutil.copy(PROJECT / "project.yml", project / "project.yml")
    # The frozen config, cut down to two steps of a small head.
    config = Config().from_disk(project / "configs" / "frozen.cfg", interpolate=False)
    config["training"].update({"max_steps": 2, "eval_frequency": 1})
    config["components"]["ner"]["model"].update({"context_width": 16, "hidden_width": 16})
    config.to_disk(project / "configs" / "smoke.cfg", interpolate=False)
    cmd = [
        sys.executable, "-m", "spacy", "project", "run", "all", str(project),
        "--vars.config", "smoke",
        "--vars.encoder", tiny_bert,
        "--vars.limit", "2",
        "--vars.data_dir", str(shared_data / "ner" / "conll2003"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = (project / "metrics" / "smoke.json").read_text()
    assert '"ents_f"' in metrics
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
    nlp = spacy.load(project / "training" / "smoke" / "model-best")
    assert nlp.pipe_names == ["sentencizer", "transformer", "ner"]
    assert isinstance(nlp("Angela Merkel visited Paris.").ents, tuple)
