"""The allocator `spacy-bert annotate` restarts itself with."""

import json
import subprocess
import sys

import pytest

from spacy_bert_components.batch.allocator import (
    ALLOCATOR_ENV,
    find_jemalloc,
    loaded_allocator,
    restart_environment,
)

from .conftest import write_parquet

MAPS = "7f00-7f01 r-xp 00000000 fd:00 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
JEMALLOC_MAPS = MAPS + "7f02-7f03 r-xp 00000000 fd:00 2 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n"


def test_loaded_allocator_from_the_maps():
    assert loaded_allocator(MAPS) == "system"
    assert loaded_allocator(JEMALLOC_MAPS) == "jemalloc"
    assert loaded_allocator() in ("system", "jemalloc", "tcmalloc", "mimalloc")


def test_find_jemalloc_in_the_first_folder_that_has_it(tmp_path):
    first, second = tmp_path / "env", tmp_path / "usr"
    first.mkdir()
    second.mkdir()
    assert find_jemalloc([first, second]) is None
    (second / "libjemalloc.so.2").write_bytes(b"")
    assert find_jemalloc([first, second]) == str(second / "libjemalloc.so.2")
    (first / "libjemalloc.so").write_bytes(b"")
    assert find_jemalloc([first, second]) == str(first / "libjemalloc.so")


def test_restart_preloads_jemalloc_where_found():
    env = restart_environment({"PATH": "/bin"}, "system", "/lib/libjemalloc.so.2", "linux")
    assert env["LD_PRELOAD"] == "/lib/libjemalloc.so.2" and env["PATH"] == "/bin"
    # A preload of the user's own is kept, after jemalloc.
    env = restart_environment({"LD_PRELOAD": "/lib/libmine.so"}, "system", "/lib/libjemalloc.so.2", "linux")
    assert env["LD_PRELOAD"] == "/lib/libjemalloc.so.2 /lib/libmine.so"


@pytest.mark.parametrize(
    "environ,loaded,jemalloc,platform",
    [
        ({}, "system", None, "linux"),  # not installed
        ({}, "jemalloc", "/lib/libjemalloc.so.2", "linux"),  # already on it
        ({}, "system", "/lib/libjemalloc.so.2", "darwin"),
        ({ALLOCATOR_ENV: "system"}, "system", "/lib/libjemalloc.so.2", "linux"),
    ],
)
def test_no_restart(environ, loaded, jemalloc, platform):
    assert restart_environment(environ, loaded, jemalloc, platform) is None


def test_restarts_once():
    """A restarted process whose preload did not load goes on as it is."""
    env = restart_environment({}, "system", "/lib/libjemalloc.so.2", "linux")
    assert restart_environment(env, "system", "/lib/libjemalloc.so.2", "linux") is None


def test_an_allocator_by_path(tmp_path):
    library = tmp_path / "libtcmalloc_minimal.so.4"
    library.write_bytes(b"")
    env = restart_environment({ALLOCATOR_ENV: str(library)}, "system", None, "linux")
    assert env["LD_PRELOAD"] == str(library)
    with pytest.raises(ValueError, match=f"{ALLOCATOR_ENV}=.*no such file"):
        restart_environment({ALLOCATOR_ENV: str(tmp_path / "missing.so")}, "system", None, "linux")


def _annotate(tmp_path, tiny_pipeline, env):
    write_parquet(tmp_path / "in.parquet", ["Angela Merkel visited Paris."], ids=["a"])
    args = [sys.executable, "-c", "from spacy_bert_components.cli.main import main; main()", "annotate", "--local"]
    args += ["--model", tiny_pipeline, "-o", str(tmp_path / "out"), str(tmp_path / "in.parquet")]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(find_jemalloc() is None or not sys.platform.startswith("linux"), reason="no libjemalloc here")
def test_the_command_runs_on_jemalloc_where_installed(tmp_path, tiny_pipeline, monkeypatch):
    monkeypatch.delenv(ALLOCATOR_ENV, raising=False)
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    done = _annotate(tmp_path, tiny_pipeline, None)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["runner"]["allocator"] == "jemalloc"


def test_a_bad_allocator_setting_is_one_line_and_exit_2(tmp_path, tiny_pipeline, monkeypatch):
    monkeypatch.setenv(ALLOCATOR_ENV, str(tmp_path / "missing.so"))
    done = _annotate(tmp_path, tiny_pipeline, None)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"Error: {ALLOCATOR_ENV}={tmp_path / 'missing.so'}: no such file")
    assert not (tmp_path / "out").exists()
