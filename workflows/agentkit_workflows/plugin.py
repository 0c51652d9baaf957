"""agentkit's hooks for this distribution: the workflows by name, and ``agentkit eval``.

The ``solve`` workflow (the planner graph) is agentkit's own and is registered by
agentkit itself; :data:`agentkit_workflows.WORKFLOW_NAMES` lists it beside these so
that every workflow is found in one place.
"""

from __future__ import annotations

from typing import Any

import click

import agentkit


@agentkit.hookimpl
def register_workflows(register: Any) -> None:
    from agentkit_workflows.prove import prove
    from agentkit_workflows.repair import repair
    from agentkit_workflows.sample_verify import sample_verify
    from agentkit_workflows.self_verify import self_verify

    for flow in (self_verify, repair, prove, sample_verify):
        register(flow)


@agentkit.hookimpl
def register_commands(cli: click.Group) -> None:
    from agentkit_workflows.cli import eval_command

    cli.add_command(eval_command)
