"""projects/srl_up_english end to end on a tiny slice: convert (PropBank EWT
training documents, the UP dev file), train (two steps, tiny BERT, frozen
config), evaluate, package, distil."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2] / "projects" / "srl_up_english"


def test_project_workflow_on_a_tiny_slice(tiny_bert, shared_data, tmp_path):
    project = tmp_path / "srl_up_english"
    project.mkdir()
    shutil.copy(PROJECT / "project.yml", project / "project.yml")
    shutil.copytree(PROJECT / "configs", project / "configs")
    shutil.copytree(PROJECT / "scripts", project / "scripts")
    cmd = [
        sys.executable, "-m", "spacy", "project", "run", "all", str(project),
        "--vars.propbank_dir", str(shared_data / "srl" / "propbank_ewt"),
        "--vars.up_dir", str(shared_data / "srl" / "up_english_ewt"),
        "--vars.encoder", tiny_bert,
        "--vars.limit", "3",
        "--vars.max_steps", "2",
        "--vars.eval_frequency", "1",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (project / "corpus" / "propbank" / "train.spacy").exists() and (project / "corpus" / "dev.spacy").exists()
    assert (project / "training" / "frozen" / "model-best").exists()
    metrics = json.loads((project / "metrics" / "frozen.json").read_text())
    all_frames = json.loads((project / "metrics" / "frozen_all_frames.json").read_text())
    for key in ("srl_p", "srl_r", "srl_f", "srl_head_f", "srl_predicate_f", "srl_sense_acc"):
        assert 0.0 <= metrics[key] <= 100.0
        assert 0.0 <= all_frames[key] <= 1.0
    # Auxiliary frames have no argument: the argument scores cannot differ.
    assert abs(all_frames["srl_f"] * 100 - metrics["srl_f"]) < 1e-6
    assert list((project / "packages").glob("*/dist/*.tar.gz"))
    # Distillation: the trained pipeline labels a few hundred words of other
    # training text, and the light head trains on that plus the gold.
    distil = cmd[:5] + [
        "distil", str(project),
        "--vars.encoder", tiny_bert,
        "--vars.sst2_dir", str(shared_data / "sentiment" / "sst2"),
        "--vars.conll_dir", str(shared_data / "ner" / "conll2003"),
        "--vars.silver_words", "300",
        "--vars.distil_steps", "2",
    ]
    result = subprocess.run(distil, capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(p.name for p in (project / "corpus" / "silver").iterdir()) == ["gold1.spacy", "gold2.spacy", "silver.spacy"]
    assert "srl_f" in json.loads((project / "metrics" / "light_distil.json").read_text())
