"""Which runner a run gets: a pool of processes on this machine by default,
this process with --local, Ray where an address, a running Ray or Ray's
per-worker resources ask for it."""

import pytest

from spacy_bert_components.batch.execute import local_cpus, with_runner
from spacy_bert_components.batch.plan import RunSettings


@pytest.fixture(autouse=True)
def no_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def test_the_default_is_a_pool_of_one_process_per_cpu():
    chosen = with_runner(RunSettings())
    assert chosen.local and chosen.workers == local_cpus() and chosen.threads is None
    assert with_runner(RunSettings(workers=3)).workers == 3


def test_local_stays_this_process():
    assert with_runner(RunSettings(local=True)) == RunSettings(local=True)


@pytest.mark.parametrize(
    "settings",
    [
        RunSettings(address="auto"),
        RunSettings(address="local"),
        RunSettings(gpus_per_worker=0.5),
        RunSettings(cpus_per_worker=1.0),
    ],
    ids=["address", "new-local-ray", "gpus", "cpus-per-worker"],
)
def test_ray_where_asked_for(settings):
    assert with_runner(settings) == settings


def test_ray_address_in_the_environment(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    assert not with_runner(RunSettings()).local
