"""Progress of a run: a bar with docs/s and ETA on a terminal, plain lines
every few seconds otherwise, and the counts for the final summary."""

import sys
import time
from dataclasses import dataclass, field
from typing import Optional, TextIO


@dataclass
class Counts:
    """Rows and tokens seen so far in this run."""

    rows: int = 0
    errors: int = 0
    tokens: int = 0
    blocks: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


class Progress:
    """total (int): Rows this run has to annotate.
    stream (TextIO): Where to report (stderr by default).
    bar (Optional[bool]): Force the bar on or off; default: on a terminal.
    interval (float): Seconds between plain lines.
    """

    def __init__(
        self, total: int, *, stream: Optional[TextIO] = None, bar: Optional[bool] = None, interval: float = 10.0
    ) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.counts = Counts()
        self.interval = interval
        self._last_line = 0.0
        self._bar = None
        use_bar = self.stream.isatty() if bar is None else bar
        if use_bar:
            import shutil

            from tqdm import tqdm

            # A terminal that reports no size (a bare pty) would get an empty
            # bar: give it a fixed one.
            sized = shutil.get_terminal_size((0, 0)).columns > 0
            self._bar = tqdm(
                total=total,
                unit="doc",
                file=self.stream,
                dynamic_ncols=sized,
                ncols=None if sized else 100,
                nrows=None if sized else 24,
                smoothing=0.1,
            )

    def update(self, rows: int, errors: int, tokens: int) -> None:
        self.counts.rows += rows
        self.counts.errors += errors
        self.counts.tokens += tokens
        self.counts.blocks += 1
        if self._bar is not None:
            self._bar.update(rows)
            self._bar.set_postfix(errors=self.counts.errors, refresh=False)
            return
        now = time.monotonic()
        if now - self._last_line >= self.interval or self.counts.rows >= self.total:
            self._last_line = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        counts = self.counts
        rate = counts.rows / counts.seconds if counts.seconds > 0 else 0.0
        left = self.total - counts.rows
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        share = 100.0 * counts.rows / self.total if self.total else 100.0
        return (
            f"annotate: {counts.rows}/{self.total} docs ({share:.1f}%), {rate:.1f} docs/s, "
            f"{counts.errors} errors, ETA {eta}"
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
