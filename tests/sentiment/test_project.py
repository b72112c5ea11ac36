"""projects/sentiment_sst2: `spacy project run all` offline on a tiny slice."""
import shutil
import subprocess
import sys
from pathlib import Path

import spacy
from spacy.tokens import DocBin
from thinc.api import Config

PROJECT = Path(__file__).resolve().parents[2] / "projects" / "sentiment_sst2"


def test_project_workflow_on_a_tiny_slice(tiny_bert, shared_data, tmp_path):
    project = tmp_path / "sentiment_sst2"
    shutil.copytree(PROJECT / "configs", project / "configs")
    shutil.copy(PROJECT / "project.yml", project / "project.yml")
    # The frozen config, cut down to two steps of a small head.
    config = Config().from_disk(project / "configs" / "frozen.cfg", interpolate=False)
    config["training"].update({"max_steps": 2, "eval_frequency": 1})
    config["components"]["sentiment"]["model"].update({"context_width": 16})
    config.to_disk(project / "configs" / "smoke.cfg", interpolate=False)
    cmd = [
        sys.executable, "-m", "spacy", "project", "run", "all", str(project),
        "--vars.config", "smoke",
        "--vars.encoder", tiny_bert,
        "--vars.limit", "8",
        "--vars.data_dir", str(shared_data / "sentiment" / "sst2"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = (project / "metrics" / "smoke.json").read_text()
    assert '"sentiment_acc"' in metrics
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
    nlp = spacy.load(project / "training" / "smoke" / "model-best")
    assert nlp.pipe_names == ["sentencizer", "transformer", "sentiment"]
    assert set(nlp("A good film.").cats) == {"positive", "negative"}
    # Distillation: the trained pipeline teaches a second head its probabilities.
    distil = cmd[:5] + ["distil", str(project), "--vars.encoder", tiny_bert, "--vars.teacher", "smoke", "--vars.student", "smoke"]
    result = subprocess.run(distil, capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert '"sentiment_acc"' in (project / "metrics" / "smoke_distil.json").read_text()
    silver = list(DocBin().from_disk(project / "corpus" / "distil" / "teacher.spacy").get_docs(nlp.vocab))
    assert silver and all(0.0 < doc.cats["positive"] < 1.0 for doc in silver)
