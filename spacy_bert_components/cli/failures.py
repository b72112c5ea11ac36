"""Exceptions to exit codes, for every command, in one place: the package's
errors carry their exit code (`errors.py`); an interruption exits 130; any
other exception is a failed run (exit 3)."""

import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import click

from ..errors import EXIT_FAILED, EXIT_INTERRUPTED, SetupError, SpacyBertError


@contextmanager
def exit_on_error(
    *,
    resume: Optional[str] = None,
    interrupted: Optional[str] = None,
    setup_left_a_run: Callable[[], bool] = lambda: False,
) -> Iterator[None]:
    """Run a command's work; on an error, print it in one line and exit with
    its code.

    resume (Optional[str]): How a failed run is finished ("finish with
        --resume -o DIR"), for commands that can.
    interrupted (Optional[str]): What to say after an interruption.
    setup_left_a_run (Callable[[], bool]): Whether a SetupError (no GPU on a
        worker, say) came after the run started, so `resume` applies to it.
    """
    try:
        yield
    except SpacyBertError as err:
        hint = f"; once fixed, {resume}" if resume and isinstance(err, SetupError) and setup_left_a_run() else ""
        click.echo(f"Error: {err}{hint}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted" + (f": {interrupted}" if interrupted else ""), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as err:  # noqa: BLE001 - workers that cannot start, a full disk...
        click.echo(f"Error: the run failed: {type(err).__name__}: {err}", err=True)
        if resume:
            click.echo(f"Fix the cause and {resume}", err=True)
        sys.exit(EXIT_FAILED)
