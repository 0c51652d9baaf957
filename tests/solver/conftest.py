"""Shared set-up for the solver tests: one warm worker pool for the whole session.

Every test goes through the real sandboxed workers (sympy, z3 and math-verify inside
bubblewrap). The pool is process-wide, so the ~3 s worker start is paid once per
worker, not once per test; it is closed when the session ends.
"""

from __future__ import annotations

import pytest

from agentkit_solver import close_pool


@pytest.fixture(scope="session", autouse=True)
def solver_pool():
    yield
    close_pool()


# What the math_equal corpus test found (agreement, disagreements), shown after every run.
_CORPUS_REPORT: list[str] = []


@pytest.fixture
def corpus_report() -> list[str]:
    return _CORPUS_REPORT


def pytest_terminal_summary(terminalreporter):
    if _CORPUS_REPORT:
        terminalreporter.write_sep("-", "math_equal corpus")
        terminalreporter.write_line("\n".join(_CORPUS_REPORT))
