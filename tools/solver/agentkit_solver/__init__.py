"""agentkit-solver: the tools ``sympy`` and ``smt`` (z3) and the verifier ``math_equal``.

sympy, z3 and math-verify run in a pool of sandboxed workers (``_pool``); the modules
the workers import (``_inside`` and the private modules it uses) never import agentkit.
This module stays light for the same reason: the workers import it too, as the parent
package of ``_inside``, so the public names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import agentkit
from agentkit.hookspecs import Register

if TYPE_CHECKING:
    from agentkit_solver._pool import SolverError, close_pool
    from agentkit_solver.equal import MathEqual, compare_answers, math_equal
    from agentkit_solver.smt import smt_tool, solve_smt
    from agentkit_solver.symbolic import sympy_tool

__all__ = [
    "MathEqual",
    "SolverError",
    "close_pool",
    "compare_answers",
    "math_equal",
    "smt_tool",
    "solve_smt",
    "sympy_tool",
]

_HOMES = {
    "SolverError": "_pool",
    "close_pool": "_pool",
    "MathEqual": "equal",
    "compare_answers": "equal",
    "math_equal": "equal",
    "smt_tool": "smt",
    "solve_smt": "smt",
    "sympy_tool": "symbolic",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'agentkit_solver' has no attribute {name!r}")
    return getattr(importlib.import_module(f"agentkit_solver.{home}"), name)


@agentkit.hookimpl
def register_tools(register: Register) -> None:
    from agentkit_solver.smt import smt_tool
    from agentkit_solver.symbolic import sympy_tool

    register(sympy_tool)
    register(smt_tool)


@agentkit.hookimpl
def register_verifiers(register: Register) -> None:
    from agentkit_solver.equal import MathEqual

    register(MathEqual())
