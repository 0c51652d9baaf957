# The two commands of the README. Both set everything up first (scripts/setup.sh).
.PHONY: demo test setup lint bench

setup:
	@bash scripts/setup.sh

# The main job, no model needed: counterexample search on a bundled buggy median. It
# prints the minimal failing input; `refute` exits 1 when it finds one, which is the
# expected outcome here, so anything else fails the demo.
demo: setup
	.venv/bin/agentkit refute examples/refute/median.py \
	  --reference examples/refute/median_reference.py; test $$? -eq 1

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
