"""``agentkit run``: run a workflow (a registered name or a ``.py`` file) as a durable run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from agentkit.cli.output import echo, json_option, parse_json_object, print_json

if TYPE_CHECKING:
    from agentkit.workflows import WorkflowResult


@click.command(name="run")
@click.argument("workflow_spec", metavar="WORKFLOW")
@click.option("--input", "input_json", default="{}", help="The workflow's inputs as a JSON object.")
@click.option("-m", "--model", "model_name", help="The model (default: AGENTKIT_MODEL).")
@json_option
def run_command(workflow_spec: str, input_json: str, model_name: str | None, as_json: bool) -> None:
    """Run WORKFLOW (a registered name, FILE.py or FILE.py:NAME) and print its result.

    Every tool and model call it makes is checkpointed: if the run is cut short,
    `agentkit runs resume RUN_ID` continues it without redoing finished calls.
    """
    from agentkit.workflow_loader import load_workflow

    inputs = parse_json_object(input_json, "--input")
    print_workflow_result(load_workflow(workflow_spec).run(inputs, model=model_name), as_json)


def print_workflow_result(outcome: WorkflowResult, as_json: bool) -> None:
    """The result on stdout (one JSON document with ``--json``), the run id on stderr."""
    if as_json:
        print_json(outcome.to_dict())
        return
    result = outcome.result
    echo(result if isinstance(result, str) else json.dumps(result, indent=2, default=str))
    echo(f"run {outcome.run_id}: done", err=True)


COMMANDS = [run_command]
