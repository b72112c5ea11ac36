"""A `before_update` callback for `spacy train --code`: writes the seconds
from the first update to the start of the second epoch to a file, then ends
the run (`benchmarks/encoder_cache.py` times first epochs with it)."""

import os
import time
from pathlib import Path
from typing import Any, Callable, Dict

from spacy import Language, registry


@registry.callbacks("spacy-bert-benchmarks.epoch_timer.v1")
def make_epoch_timer(path: str) -> Callable[[Language, Dict[str, Any]], None]:
    started: Dict[str, float] = {}

    def before_update(nlp: Language, args: Dict[str, Any]) -> None:
        if args["step"] == 0:
            started["at"] = time.monotonic()
        elif args["epoch"] >= 1:
            Path(path).write_text(f"{time.monotonic() - started['at']:.3f}")
            # The first epoch is all this run is for.
            os._exit(0)

    return before_update
