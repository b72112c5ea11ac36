"""`spacy-bert fill-assets`: the projects' data step."""

import stat
from pathlib import Path

import pytest

from spacy_bert_components.project_data import ProjectDataError, fill_assets

ASSETS = [Path("assets/ner/conll2003/dev.iob"), Path("assets/srl/skel")]


def _read_only_copy(root: Path) -> Path:
    (root / "ner" / "conll2003").mkdir(parents=True)
    (root / "ner" / "conll2003" / "dev.iob").write_text("EU B-ORG\n")
    (root / "srl" / "skel" / "a").mkdir(parents=True)
    (root / "srl" / "skel" / "a" / "doc.prop").write_text("frame\n")
    for path in sorted(root.rglob("*"), reverse=True):
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return root


def test_fills_from_a_read_only_copy_and_refills(tmp_path, monkeypatch):
    local = _read_only_copy(tmp_path / "shared")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # the second fill replaces the first: nothing copied is read-only
        assert len(fill_assets(ASSETS, local)) == 2
    assert Path("assets/ner/conll2003/dev.iob").read_text() == "EU B-ORG\n"
    assert Path("assets/srl/skel/a/doc.prop").read_text() == "frame\n"
    copied = [Path("assets/srl/skel"), *Path("assets").rglob("*")]
    assert all(path.stat().st_mode & stat.S_IWUSR for path in copied)  # (root may write anyway)
    assert fill_assets(ASSETS, None) == ["2 assets in place"]


def test_missing_assets_name_both_ways_to_get_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectDataError, match="spacy project assets.*SPACY_BERT_DATA"):
        fill_assets(ASSETS[:1], None)
    with pytest.raises(ProjectDataError, match="not under assets/"):
        fill_assets([Path("corpus/dev.iob")], None)
    with pytest.raises(ProjectDataError, match="dev.iob not found"):
        fill_assets(ASSETS[:1], tmp_path)
