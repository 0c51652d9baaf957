"""The backend interface, and finding backends.

A backend is one module in :mod:`agentkit_prover.backends` with a module-level
``BACKEND`` object that satisfies :class:`ProofBackend`. Backends are found by walking
that package, so adding a proof language (Lean, Isabelle) means adding one module there
and nothing else. Modules whose names start with ``_`` are helpers, not backends.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from pathlib import Path
from typing import Protocol, runtime_checkable

from agentkit.errors import AgentkitError, did_you_mean
from agentkit_prover.result import ProofResult

DEFAULT_TIMEOUT = 30.0


class ProverError(AgentkitError):
    """The check could not be started: unknown language or suffix, or a missing checker."""


@runtime_checkable
class ProofBackend(Protocol):
    """A proof checker for one language."""

    name: str  # the backend's name in results ("coq", "smt")
    languages: tuple[str, ...]  # names accepted as the tool's ``language`` argument
    suffixes: tuple[str, ...]  # file suffixes `agentkit prove` maps to this backend

    def recognizes(self, source: str) -> bool:
        """Whether ``source`` looks like this backend's language (for auto-detection)."""
        ...

    def check(self, source: str, *, timeout: float = DEFAULT_TIMEOUT) -> ProofResult:
        """Check ``source`` within ``timeout`` seconds of wall time; never raise on bad proofs.

        Raises :class:`ProverError` only when the checker itself cannot run.
        """
        ...


@runtime_checkable
class NamedTheoremBackend(Protocol):
    """A backend whose proofs state named theorems (Coq): one of them can be asked for."""

    def check_theorem(
        self, source: str, theorem: str | None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> ProofResult:
        """Like ``check``, and ``theorem`` (when given) must be one the source states."""
        ...


@functools.cache
def all_backends() -> dict[str, ProofBackend]:
    """Every backend module's ``BACKEND``, by name."""
    from agentkit_prover import backends as package

    found: dict[str, ProofBackend] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        backend = getattr(module, "BACKEND", None)
        if not isinstance(backend, ProofBackend):
            raise TypeError(f"{module.__name__} must define BACKEND, a ProofBackend")
        found[backend.name] = backend
    return found


def backend_for_path(path: str | Path) -> ProofBackend:
    """The backend for a file, by its suffix."""
    suffix = Path(path).suffix.lower()
    for backend in all_backends().values():
        if suffix in backend.suffixes:
            return backend
    known = sorted(s for b in all_backends().values() for s in b.suffixes)
    raise ProverError(
        f"{Path(path).name}: no proof checker for {suffix or 'files without a suffix'!r}; "
        f"use one of {', '.join(known)}"
    )


def backend_for_language(language: str) -> ProofBackend:
    """The backend for a language name (``coq``, ``smt``, ``smtlib``, ...)."""
    wanted = language.strip().lower()
    for backend in all_backends().values():
        if wanted == backend.name or wanted in backend.languages:
            return backend
    names = sorted({n for b in all_backends().values() for n in (b.name, *b.languages)})
    raise ProverError(
        f"unknown proof language {language!r}{did_you_mean(wanted, names)} "
        f"(known: {', '.join(names)})"
    )


def detect_backend(source: str) -> ProofBackend:
    """The one backend that recognizes ``source``; an error when none or several do."""
    matches = [b for b in all_backends().values() if b.recognizes(source)]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(sorted(all_backends()))
    if not matches:
        raise ProverError(f"cannot tell the proof language of the source; pass language ({names})")
    which = " and ".join(sorted(b.name for b in matches))
    raise ProverError(f"the source could be {which}; pass language to say which")
