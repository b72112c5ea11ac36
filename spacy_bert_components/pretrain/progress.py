"""Progress of a pre-training run: a bar with the step, the running loss and
the ETA on a terminal (tqdm, as the batch runner's), plain lines every few
seconds otherwise (logs of background runs stay readable)."""

import sys
import time
from typing import Optional, TextIO


class StepProgress:
    """total (int): The run's --max-steps.
    start (int): Steps already done (a resumed run).
    stream (TextIO): Where to report (stderr by default).
    bar (Optional[bool]): Force the bar on or off; default: on a terminal.
    interval (float): Seconds between plain lines.
    """

    def __init__(
        self,
        total: int,
        *,
        start: int = 0,
        stream: Optional[TextIO] = None,
        bar: Optional[bool] = None,
        interval: float = 30.0,
    ) -> None:
        self.total = total
        self.step = start
        self.start = start
        self.stream = stream or sys.stderr
        self.interval = interval
        self._started = time.monotonic()
        self._last_line = self._started
        self._bar = None
        if self.stream.isatty() if bar is None else bar:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=start, unit="step", file=self.stream, dynamic_ncols=True, smoothing=0.1
            )

    def update(self, step: int, loss: Optional[float]) -> None:
        """Report that `step` steps are done, with the running loss."""
        done = step - self.step
        self.step = step
        if self._bar is not None:
            if loss is not None:
                self._bar.set_postfix_str(f"loss {loss:.3f}", refresh=False)
            self._bar.update(done)
            return
        now = time.monotonic()
        if now - self._last_line >= self.interval or step >= self.total:
            self._last_line = now
            seconds = now - self._started
            rate = (step - self.start) / seconds if seconds > 0 else 0.0
            loss_text = f"loss {loss:.3f}" if loss is not None else "loss -"
            self.stream.write(f"step {step}/{self.total}  {loss_text}  {rate:.2f} steps/s  {seconds:.0f}s\n")
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
