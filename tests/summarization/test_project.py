"""projects/summarization end to end on a tiny slice: convert, train (two
steps, tiny BERT), evaluate, package."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

from spacy.tokens import DocBin

PROJECT = Path(__file__).resolve().parents[2] / "projects" / "summarization"


def test_project_workflow_on_a_tiny_slice(tiny_bert, shared_data, tmp_path):
    project = tmp_path / "summarization"
    project.mkdir()
    shutil.copy(PROJECT / "project.yml", project / "project.yml")
    shutil.copytree(PROJECT / "configs", project / "configs")
    cmd = [
        sys.executable, "-m", "spacy", "project", "run", "all", str(project),
        "--vars.data_dir", str(shared_data / "summarization"),
        "--vars.encoder", tiny_bert,
        "--vars.limit", "5",
        "--vars.max_steps", "2",
        "--vars.eval_frequency", "1",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    import spacy

    nlp = spacy.blank("en")
    train = list(DocBin().from_disk(project / "corpus" / "bbc" / "train.spacy").get_docs(nlp.vocab))
    dev = list(DocBin().from_disk(project / "corpus" / "bbc" / "dev.spacy").get_docs(nlp.vocab))
    assert (len(train), len(dev)) == (4, 1)
    assert (project / "training" / "bbc_frozen" / "model-best").exists()
    metrics = json.loads((project / "metrics" / "bbc_frozen.json").read_text())
    for key in ("summary_rouge1", "summary_rouge2", "summary_rougeL", "summary_lead_rouge1"):
        assert 0.0 <= metrics[key] <= 1.0
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
