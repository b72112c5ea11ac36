"""Checkpoints of a pre-training run: `OUTPUT/checkpoints/step-000100/`.

A checkpoint is itself an encoder folder (config, tokenizer, weights with the
MLM head), plus `training_state.pt` (optimizer, scheduler, every worker's data
position and random generators) and `trainer_state.json`, written last, with
the step and the size of every file. It is written to a `.tmp` folder and
renamed, so a kill leaves either a complete checkpoint or a `.tmp` folder that
the next run removes; a checkpoint whose files do not match the sizes in its
`trainer_state.json` (a copy cut short) is not complete either.
"""

import json
import re
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

import torch

CHECKPOINTS_DIR = "checkpoints"
STATE_FILE = "trainer_state.json"
TRAINING_STATE_FILE = "training_state.pt"
_STEP_DIR = re.compile(r"^step-(\d+)$")


def checkpoints_root(output: Path) -> Path:
    return Path(output) / CHECKPOINTS_DIR


def checkpoint_path(output: Path, step: int) -> Path:
    """RETURNS (Path): The folder of the checkpoint after `step` steps."""
    return checkpoints_root(output) / f"step-{step:06d}"


def is_complete(path: Path) -> bool:
    """RETURNS (bool): Whether a checkpoint folder was written to the end."""
    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf8"))
        files = state["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return all((path / name).is_file() and (path / name).stat().st_size == size for name, size in files.items())


def complete_checkpoints(output: Path) -> List[Path]:
    """RETURNS (List[Path]): The complete checkpoints in `output`, oldest first."""
    root = checkpoints_root(output)
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        match = _STEP_DIR.match(path.name)
        if match and path.is_dir() and is_complete(path):
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def last_checkpoint(output: Path) -> Optional[Path]:
    """RETURNS (Optional[Path]): The complete checkpoint with the most steps."""
    found = complete_checkpoints(output)
    return found[-1] if found else None


def read_state(path: Path) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): A checkpoint's `trainer_state.json`."""
    return json.loads((path / STATE_FILE).read_text(encoding="utf8"))


def read_training_state(path: Path) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): Optimizer, scheduler, positions and generator
    states (tensors and plain values only: loaded with weights_only)."""
    return torch.load(str(path / TRAINING_STATE_FILE), weights_only=True)


def begin_checkpoint(output: Path, step: int) -> Path:
    """RETURNS (Path): An empty temporary folder for the checkpoint of `step`."""
    tmp = checkpoint_path(output, step).with_name(checkpoint_path(output, step).name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def finish_checkpoint(tmp: Path, state: Dict[str, Any], training_state: Dict[str, Any]) -> Path:
    """Write the training state and `trainer_state.json` (last, with the file
    sizes) into `tmp`, then rename it to its final name.

    RETURNS (Path): The complete checkpoint.
    """
    torch.save(training_state, str(tmp / TRAINING_STATE_FILE))
    files = {p.name: p.stat().st_size for p in sorted(tmp.iterdir()) if p.is_file()}
    (tmp / STATE_FILE).write_text(json.dumps({**state, "files": files}, indent=2), encoding="utf8")
    final = tmp.with_name(tmp.name[: -len(".tmp")])
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    return final


def prune_checkpoints(output: Path, keep: int) -> None:
    """Remove all but the `keep` newest complete checkpoints, and temporary
    folders left by a kill."""
    root = checkpoints_root(output)
    if not root.is_dir():
        return
    for path in root.glob("step-*.tmp"):
        shutil.rmtree(path, ignore_errors=True)
    for path in complete_checkpoints(output)[:-keep]:
        shutil.rmtree(path, ignore_errors=True)
