"""`_manifest.json`: what a run read, with which model, and what it wrote.

It is written when a run starts (status "running") and rewritten when it ends
("complete" or "failed"). `--resume` compares the run key (inputs, options,
model hash) with the one in the manifest, so that a resumed run never mixes
blocks of two different runs.
"""

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, Optional

MANIFEST_NAME = "_manifest.json"


def run_key(inputs: Any, options: Dict[str, Any], model_hash: str) -> str:
    """RETURNS (str): A hash of everything that decides the output rows."""
    payload = json.dumps({"inputs": inputs, "options": options, "model": model_hash}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf8")).hexdigest()


def read_manifest(output: Path) -> Optional[Dict[str, Any]]:
    path = output / MANIFEST_NAME
    if not path.exists():
        return None
    with path.open(encoding="utf8") as fileh:
        return json.load(fileh)


def write_manifest(output: Path, manifest: Dict[str, Any]) -> None:
    """Write atomically: a temporary file, then a rename."""
    path = output / MANIFEST_NAME
    tmp = output / f".{MANIFEST_NAME}.tmp-{os.getpid()}"
    with tmp.open("w", encoding="utf8") as fileh:
        json.dump(manifest, fileh, indent=2, sort_keys=False)
        fileh.write("\n")
    os.replace(tmp, path)
