"""Error types with messages that say what to change."""


class EncoderNotFoundError(ValueError):
    """An encoder name resolves to neither an installed package, a local
    directory nor a model already in the local Hugging Face cache."""


class MissingUpstreamError(ValueError):
    """A component listens for a shared `transformer` that never ran."""


class ConversionError(ValueError):
    """A line or record of a public data file could not be converted.

    The message always names the file and the line (or record) number.
    """

    def __init__(self, path: object, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        super().__init__(f"{path}:{line}: {message}")


class GPUUnavailableError(RuntimeError):
    """A GPU was asked for (`--gpus-per-worker`, `--gpu-id`) where spaCy
    cannot run on one. The message is one line: what is missing, what to
    install or change."""


class EncoderInstallError(ValueError):
    """`spacy-bert encoder install` could not install an encoder: an unknown
    name, parts that pip cannot get or that are missing, or a file whose
    size or sha256 differs from the pinned one. Nothing is installed. The
    message is one line that names the encoder and what to do."""

    # Bad input or environment, nothing done (cli/exit_codes.EXIT_USAGE).
    exit_code = 2
