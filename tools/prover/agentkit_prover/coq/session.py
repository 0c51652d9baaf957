"""Running Coq's programs on one proof, inside one sandbox, against one deadline.

A :class:`CoqSession` owns a :class:`~agentkit.sandbox.Sandbox` for the length of one
check. The proof goes into the sandbox's work directory as ``proof.v``, so the library
is called ``proof`` and everything coqc writes (``.vo``, ``.glob``, ``.aux``, the
``Redirect`` outputs) stays in there and is deleted with it. Every run gets what is
left of the one time budget: a check never takes much longer than its timeout.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import uuid
from pathlib import Path

from agentkit.sandbox import INSIDE_PATH, Sandbox, SandboxPolicy, SandboxRun
from agentkit_prover.backend import ProverError

LIBRARY = "proof"
# coqc reads findlib's configuration at start and dies without it.
EXTRA_READONLY = ("/etc/ocamlfind.conf", "/etc/ocamlfind.conf.d")
GOAL_LIMIT = 8000  # characters of goal text kept; a model gains nothing from more


def require_coq() -> None:
    """Raise a one-line :class:`ProverError` when coqc or coqchk is not installed."""
    for program in ("coqc", "coqchk"):
        if shutil.which(program, path=INSIDE_PATH) is None:
            raise ProverError(f"{program} is not installed; install Coq (apt-get install coq)")


class CoqSession:
    """One proof's sandbox, and the coqc/coqchk runs made in it before ``deadline``."""

    def __init__(self, source: str, *, timeout: float) -> None:
        require_coq()
        self.source = source
        self.deadline = time.monotonic() + timeout
        self.sandbox = Sandbox(_policy(), label="coq")
        self.workdir: Path = self.sandbox.workdir
        # Output file names the proof cannot guess, so it cannot forge them in advance.
        self.token = uuid.uuid4().hex[:12]
        (self.workdir / f"{LIBRARY}.v").write_text(source, encoding="utf-8")

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def compile(self) -> SandboxRun:
        """``coqc -time proof.v``: one ``Chars A - B`` line per sentence run, on stdout."""
        return self.run(["coqc", "-q", "-time", f"{LIBRARY}.v"], self.remaining())

    def goal_before(self, prefix: str, *, budget: float) -> str | None:
        """The goals Coq shows after running ``prefix``, or None when no proof is open."""
        marker = f"goal_{self.token}"
        text = f'{prefix}\nRedirect "{marker}" Show.\n'
        (self.workdir / "goal.v").write_text(text, encoding="utf-8")
        self.run(["coqc", "-q", "goal.v"], budget)
        shown = self._read(f"{marker}.out")
        if shown is None or not shown.strip():
            return None
        shown = "\n".join(line.rstrip() for line in shown.strip().splitlines())
        return shown if len(shown) <= GOAL_LIMIT else shown[:GOAL_LIMIT] + "\n[... truncated]"

    def check_library(self) -> SandboxRun:
        """coqchk re-checks ``proof.vo`` with Coq's independent kernel and sums up its axioms."""
        return self.run(["coqchk", "-silent", "-o", "-norec", LIBRARY], self.remaining())

    def print_assumptions(self, names: list[str]) -> tuple[dict[str, str], SandboxRun]:
        """``Print Assumptions`` of each compiled constant: its output by name, and the run.

        The run stops at the first name Coq cannot find; the caller retries without it.
        """
        lines = [f"Require {LIBRARY}."]
        for i, name in enumerate(names):
            lines.append(f'Redirect "{self.token}_{i}" Print Assumptions {LIBRARY}.{name}.')
        (self.workdir / "assumptions.v").write_text("\n".join(lines) + "\n", encoding="utf-8")
        run = self.run(["coqc", "-q", "-Q", ".", "", "assumptions.v"], self.remaining())
        outputs = {}
        for i, name in enumerate(names):
            text = self._read(f"{self.token}_{i}.out")
            if text is not None:
                outputs[name] = text
        return outputs, run

    def compile_checker(self, name: str, text: str) -> SandboxRun:
        """Compile ``text`` as ``name.v`` next to the proof, which it may ``Require``.

        A fresh coqc, which sees the proof only as compiled. Coq warns about a Require
        inside a module (fragile for libraries, not for a file that is thrown away):
        checkers Require inside modules to reset how names read, so that warning is off.
        """
        (self.workdir / f"{name}.v").write_text(text, encoding="utf-8")
        argv = ["coqc", "-q", "-w", "-require-in-module", "-Q", ".", "", f"{name}.v"]
        return self.run(argv, self.remaining())

    def redirected(self, marker: str) -> str | None:
        """What a checker's ``Redirect "marker"`` wrote, or None; read once."""
        return self._read(f"{marker}.out")

    def glob(self) -> str:
        return self._read(f"{LIBRARY}.glob") or ""

    def run(self, argv: list[str], budget: float) -> SandboxRun:
        if budget <= 0:
            return SandboxRun(None, b"", b"", timed_out=True, seconds=0.0)
        return self.sandbox.run(argv, timeout=budget)

    def _read(self, name: str) -> str | None:
        path = self.workdir / name
        if path.is_symlink() or not path.is_file():
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
        path.unlink()
        return text

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> CoqSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _policy() -> SandboxPolicy:
    policy = SandboxPolicy.from_config()
    extra = tuple(p for p in EXTRA_READONLY if os.path.exists(p))
    return dataclasses.replace(policy, readonly_paths=(*policy.readonly_paths, *extra))
