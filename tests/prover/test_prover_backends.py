"""Finding backends: by suffix, by language, by the look of the source, and by module."""

from __future__ import annotations

import sys

import pytest

from agentkit_prover import (
    ProofBackend,
    ProverError,
    all_backends,
    backend_for_language,
    backend_for_path,
    detect_backend,
)
from agentkit_prover import backends as backends_package

LEAN_MODULE = """
from agentkit_prover.result import ProofResult


class LeanBackend:
    name = "lean"
    languages = ("lean", "lean4")
    suffixes = (".lean",)

    def recognizes(self, source):
        return ":= by" in source

    def check(self, source, *, timeout=30.0):
        return ProofResult(status="unknown", backend="lean", messages=["no Lean toolchain"])


BACKEND = LeanBackend()
"""


@pytest.fixture
def extra_backend_dir(tmp_path, monkeypatch):
    """A second directory of the backends package; the discovery cache is reset around it."""
    monkeypatch.setattr(backends_package, "__path__", [*backends_package.__path__, str(tmp_path)])
    all_backends.cache_clear()
    yield tmp_path
    all_backends.cache_clear()
    for name in [m for m in sys.modules if m.startswith("agentkit_prover.backends.")]:
        if name.rsplit(".", 1)[1] not in ("coq", "smt"):
            del sys.modules[name]


def test_the_installed_backends_are_coq_and_smt():
    found = all_backends()
    assert sorted(found) == ["coq", "smt"]
    assert all(isinstance(backend, ProofBackend) for backend in found.values())


def test_a_new_language_is_one_new_module(extra_backend_dir):
    (extra_backend_dir / "lean.py").write_text(LEAN_MODULE)
    assert sorted(all_backends()) == ["coq", "lean", "smt"]
    assert backend_for_path("Main.lean").name == "lean"
    assert backend_for_language("lean4").name == "lean"
    assert detect_backend("theorem t : True := by trivial").name == "lean"


def test_helper_modules_are_skipped_and_a_module_without_backend_is_a_bug(extra_backend_dir):
    (extra_backend_dir / "_helpers.py").write_text("X = 1\n")
    assert sorted(all_backends()) == ["coq", "smt"]
    (extra_backend_dir / "broken.py").write_text("X = 1\n")
    all_backends.cache_clear()
    with pytest.raises(TypeError, match="must define BACKEND"):
        all_backends()


def test_suffixes_choose_the_backend():
    assert backend_for_path("proof.v").name == "coq"
    assert backend_for_path("dir/claim.SMT2").name == "smt"
    with pytest.raises(ProverError, match=r"notes.txt: no proof checker for '.txt'; use one of"):
        backend_for_path("notes.txt")


def test_an_unknown_language_suggests_the_close_one():
    assert backend_for_language("SMTLIB").name == "smt"
    with pytest.raises(ProverError, match="did you mean 'coq'"):
        backend_for_language("coqq")


def test_detection_tells_coq_from_smtlib_and_refuses_to_guess():
    assert detect_backend("(* intro *)\nTheorem t : True. Proof. exact I. Qed.").name == "coq"
    assert detect_backend("; a VC\n(declare-const x Int)\n(assert (> x 0))").name == "smt"
    with pytest.raises(ProverError, match="cannot tell the proof language"):
        detect_backend("hello world")
