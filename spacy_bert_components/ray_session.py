"""The Ray session both runners use (`spacy-bert annotate`, `spacy-bert
pretrain`): connect to a cluster or start a local Ray, with Ray's own noise
off unless the user asked for it."""

import logging
import os
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

DEFAULT_OBJECT_STORE_BYTES = 512 * 1024 * 1024


def quiet_ray_environment(*, local_cluster: bool) -> None:
    """Ray's own noise off unless the user asked for it: usage stats, and
    for a cluster this command starts, token authentication (Ray >= 2.5x
    writes a token file to ~/.ray/auth_token on every new local cluster).
    Variables the user set are kept."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Workers fork after the driver may have used a fast tokenizer.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if local_cluster:
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")


@contextmanager
def ray_session(
    *, address: Optional[str], num_cpus: Optional[float] = None, object_store_memory: Optional[int] = None
) -> Iterator[None]:
    """Connect to `address` (or to `RAY_ADDRESS`), or (None or "local")
    start a local Ray of its own that is stopped on exit. When Ray is already initialized in this
    process (tests), it is used and left running."""
    import ray

    if ray.is_initialized():
        yield
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address == "local":  # Ray's own name for "start a new local Ray"
        address = None
    quiet_ray_environment(local_cluster=address is None)
    kwargs: Dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "configure_logging": True,
    }
    if address is None:
        # "local": a new Ray, even where `ray start` (or another run's Ray)
        # is up on this machine: a plain ray.init() would join that one.
        kwargs["address"] = "local"
        kwargs["num_cpus"] = num_cpus
        kwargs["object_store_memory"] = object_store_memory or DEFAULT_OBJECT_STORE_BYTES
    else:
        kwargs["address"] = address
    ray.init(**kwargs)
    try:
        yield
    finally:
        ray.shutdown()
