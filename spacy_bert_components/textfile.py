"""Reading public data files for the converters."""

from pathlib import Path
from typing import Iterator

from .errors import ConversionError


def read_lines(path: Path) -> Iterator[str]:
    """The file's lines, decoded one by one so that a byte that is not UTF-8
    is a ConversionError naming its line."""
    with Path(path).open("rb") as fileh:
        for n, raw in enumerate(fileh, start=1):
            try:
                yield raw.decode("utf8")
            except UnicodeDecodeError as err:
                raise ConversionError(path, n, f"not UTF-8 text ({err.reason})") from None
