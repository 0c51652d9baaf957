# The two commands of the README. Both set everything up first (scripts/setup.sh).
.PHONY: demo test setup lint bench

setup:
	@bash scripts/setup.sh

# The main job: a real tool call through the CLI, no model needed.
demo: setup
	.venv/bin/agentkit tools call python --args \
	  '{"code": "import math, sys\nprint(sys.version.split()[0], math.factorial(20))\nsum(1/k**2 for k in range(1, 10**6))"}'

# Lint, format check, then the whole test suite.
test: setup lint
	.venv/bin/pytest

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: setup
	.venv/bin/python bench/tool_call_overhead.py
	.venv/bin/python bench/kernel.py
	.venv/bin/python bench/planner.py
	.venv/bin/python bench/retriever.py
	.venv/bin/python bench/counterexamples.py
