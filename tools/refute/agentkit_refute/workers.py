"""Where a search takes its sandboxed workers: never used before, one kind per side.

Each side (the subject, the oracle, the model's generators) has its own supply of
:class:`~agentkit.worker.FreshWorkers`, each worker a sandbox of its own whose process
is its pid namespace's init (see :mod:`agentkit_refute._inside`).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading
from typing import Literal

from agentkit.sandbox import SandboxPolicy, bwrap_path
from agentkit.worker import FreshWorkers, SandboxedWorker

Side = Literal["subject", "oracle", "generator"]
INSIDE = "agentkit_refute._inside"

_fresh: dict[tuple[str, SandboxPolicy, str | None], FreshWorkers] = {}
_fresh_lock = threading.Lock()
SPARES = {"subject": 2, "oracle": 2, "generator": 1}  # two: the search's and its confirmation's


def fresh_workers(side: Side) -> FreshWorkers:
    """Where a search takes its never-used workers of one side, for the sandbox
    settings in force.

    Never reused: the code of one search must not meet the next one's. Keyed by the
    settings, so a change of configuration gets new workers. Each worker is its
    sandbox's init (see :mod:`agentkit_refute._inside`).
    """
    policy = dataclasses.replace(SandboxPolicy.from_config(), command_is_init=True)
    key = (side, policy, bwrap_path())
    with _fresh_lock:
        if key not in _fresh:
            _fresh[key] = FreshWorkers(
                INSIDE, policy=policy, label=f"refute-{side}", spares=SPARES[side]
            )
        return _fresh[key]


def warm(timeout: float = 60.0) -> bool:
    """Start the sandboxed workers ahead, so that the next search does not wait for them."""
    return all(fresh_workers(side).warm(timeout) for side in ("subject", "oracle"))


def retire_unused(side: Side, started: concurrent.futures.Future[SandboxedWorker]) -> None:
    """Retire a worker that was started for a search that ended without using it."""
    if started.exception() is None:
        fresh_workers(side).retire(started.result())
