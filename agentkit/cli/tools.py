"""``agentkit tools`` and ``agentkit tools call``."""

from __future__ import annotations

import json

import click

from agentkit.cli.output import (
    echo,
    json_option,
    one_line,
    parse_json_object,
    print_json,
    print_table,
)


@click.group(name="tools", invoke_without_command=True)
@json_option
@click.pass_context
def tools_command(ctx: click.Context, as_json: bool) -> None:
    """List every tool: name, plugin, description and JSON schema."""
    if ctx.invoked_subcommand is not None:
        return
    from agentkit.registry import get_tools

    tools = sorted(get_tools(), key=lambda entry: entry.name)
    if as_json:
        print_json([entry.item.describe() for entry in tools])
        return
    rows = [[e.name, e.plugin, e.item.description.split("\n")[0]] for e in tools]
    print_table(rows, ["TOOL", "PLUGIN", "DESCRIPTION"])


@tools_command.command(name="call")
@click.argument("name")
@click.option("--args", "args_json", default="{}", help="The arguments as a JSON object.")
@click.option("--timeout", type=float, default=None, help="Seconds before the call gives up.")
@json_option
def call_command(name: str, args_json: str, timeout: float | None, as_json: bool) -> None:
    """Call one tool and print its result (recorded as a run in the store)."""
    from agentkit.calls import call_tool
    from agentkit.registry import get_tool
    from agentkit.store import Store

    arguments = parse_json_object(args_json, "--args")
    tool = get_tool(name)
    run = Store().start_run("tool", name, input=arguments)
    result = call_tool(tool, arguments, timeout=timeout, run=run)
    run.finish("done" if result.ok else "failed", output=result.to_dict(), error=result.error)
    if as_json:
        print_json(result.to_dict())
    elif result.ok:
        output = result.output
        echo(output if isinstance(output, str) else json.dumps(output, indent=2))
    if not result.ok:
        if not as_json:
            echo(f"Error: {one_line(result.error)}", err=True)
        raise click.exceptions.Exit(1)


COMMANDS = [tools_command]
