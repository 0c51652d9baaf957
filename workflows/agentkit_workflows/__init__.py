"""agentkit-workflows: the research methods agentkit grows from, as workflows a user runs
in one line (``agentkit run self-verify --input ...``) and measures on a dataset
(``agentkit eval WORKFLOW DATA.jsonl``).

Each workflow is written with agentkit's public API only (``@agentkit.workflow``,
``Context``, verifiers, ``refine`` / ``best_of_n`` / ``vote``), so each one is also an
example of how to write your own.
"""

# Every workflow name, agentkit's own ``solve`` (the planner graph) included.
WORKFLOW_NAMES = ("self-verify", "repair", "prove", "sample-verify", "solve")
