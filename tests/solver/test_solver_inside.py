"""What runs inside the worker stays apart from agentkit, and the pool serves threads."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import agentkit
import agentkit_solver
from agentkit_solver import sympy_tool

PACKAGE = Path(agentkit_solver.__file__).parent
INSIDE = ["_inside.py", "_parsing.py", "_symbolic.py", "_smt_run.py", "_smt_compact.py"]
INSIDE += ["_smtlib.py", "_equal.py", "_final_answer.py", "_reading.py"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "agentkit_solver":
            names.update(f"agentkit_solver.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_worker_modules_import_neither_agentkit_nor_the_outside_modules():
    for name in INSIDE:
        for module in imported_modules(PACKAGE / name):
            top = module.partition(".")[0]
            assert top != "agentkit", f"{name} imports {module}"
            if top == "agentkit_solver":
                assert module.rpartition(".")[2].startswith("_"), f"{name} imports {module}"
                assert module != "agentkit_solver._pool", f"{name} imports {module}"


def test_concurrent_calls_each_get_their_own_answer():
    def solve(k: int) -> list[str]:
        result = agentkit.call_tool(sympy_tool, {"op": "solve", "expr": f"x**2 = {k * k}"})
        assert result.ok, result.error
        return result.output["solutions"]

    with ThreadPoolExecutor(max_workers=6) as threads:
        answers = list(threads.map(solve, range(1, 13)))
    assert answers == [[str(-k), str(k)] for k in range(1, 13)]
