"""Every exception class of the package, under one base.

Each carries the exit code the CLI commands exit with when it reaches them
(`cli/failures.py` maps them in one place), and its message is one line that
names the option, file, row or package to fix. The four kinds:

- UsageError: options or settings that cannot work together; nothing ran.
- InputError: an input file, line or record that cannot be read.
- SetupError: the environment lacks something (an encoder, a GPU, a package).
- RunFailure: a run that started and failed; `--resume` finishes it.
"""

EXIT_ERRORS = 1  # done, with error rows
EXIT_USAGE = 2  # bad usage, input or environment; nothing was done
EXIT_FAILED = 3  # the run failed: fix the cause and --resume
EXIT_INTERRUPTED = 130  # interrupted: --resume


class SpacyBertError(Exception):
    """Base of the package's errors.

    exit_code (int): What a CLI command exits with on this error.
    """

    exit_code: int = EXIT_FAILED


class UsageError(SpacyBertError):
    """Options or settings that cannot work together (exit code 2)."""

    exit_code = EXIT_USAGE


class InputError(SpacyBertError):
    """An input that cannot be read (exit code 2); the message names it."""

    exit_code = EXIT_USAGE


class SetupError(SpacyBertError):
    """Something the environment lacks (exit code 2): what to install or
    change."""

    exit_code = EXIT_USAGE


class RunFailure(SpacyBertError):
    """A run that started and failed (exit code 3)."""

    exit_code = EXIT_FAILED


class EncoderNotFoundError(SetupError, ValueError):
    """An encoder name resolves to neither an installed package, a local
    directory nor a model already in the local Hugging Face cache."""


class GPUUnavailableError(SetupError, RuntimeError):
    """A GPU was asked for (`--gpus-per-worker`, `--gpu-id`) where spaCy
    cannot run on one. The message is one line: what is missing, what to
    install or change."""


class MissingUpstreamError(UsageError, ValueError):
    """A component listens for a shared `transformer` that never ran."""


class ModelNotFoundError(UsageError):
    """The --model cannot be found."""


class PretrainUsageError(UsageError, ValueError):
    """Pre-training settings, inputs or an output folder that cannot work.
    The message names the option or file to change."""


class ConversionError(InputError, ValueError):
    """A line or record of a public data file could not be converted.

    The message always names the file and the line (or record) number.
    """

    def __init__(self, path: object, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        super().__init__(f"{path}:{line}: {message}")


class UnreadableInputError(InputError):
    """An input path that cannot be read at all. The message names the file."""


class ProjectDataError(InputError):
    """A project's data step that cannot go on; the message says what to fix."""


class LostRowsError(RunFailure):
    """Rows out differ from rows in: a bug, never a silent loss."""


class EncoderInstallError(SetupError, ValueError):
    """`spacy-bert encoder install` could not install an encoder: an unknown
    name, parts that pip cannot get or that are missing, or a file whose
    size or sha256 differs from the pinned one. Nothing is installed. The
    message is one line that names the encoder and what to do."""
