"""``agentkit solve`` and ``agentkit runs``: the planner graph and its run records."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from agentkit.cli.output import echo, json_option, print_json, print_table
from agentkit.errors import AgentkitError


@click.command(name="solve")
@click.argument("problem")
@click.option("-m", "--model", "model_name", help="The model (default: AGENTKIT_MODEL).")
@click.option("-T", "--tool", "tool_names", multiple=True, help="Only these tools (repeatable).")
@click.option(
    "--attempts",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Answers the verifiers may judge before giving up.",
)
@click.option("--max-model-calls", type=click.IntRange(1), default=20, show_default=True)
@click.option("--max-seconds", type=click.FloatRange(1), default=600.0, show_default=True)
@json_option
def solve_command(
    problem: str,
    model_name: str | None,
    tool_names: tuple[str, ...],
    attempts: int,
    max_model_calls: int,
    max_seconds: float,
    as_json: bool,
) -> None:
    """Plan tool calls for a problem, run them, answer, and verify the answer."""
    from agentkit.graph import Budgets, Solver, run_solver
    from agentkit.models import get_model
    from agentkit.store import Store

    model = get_model(model_name)
    tools = _tools(tool_names)
    budgets = Budgets(attempts=attempts, model_calls=max_model_calls, seconds=max_seconds)
    meta = {"model": model_name or model.name, "tools": sorted(tools), "budgets": vars(budgets)}
    run = Store().start_run("solve", "solve", input={"problem": problem}, meta=meta)
    solver = Solver(model, tools, budgets=budgets, run=run)
    result = asyncio.run(run_solver(solver, Solver.initial_state(problem)))
    _print_result(result, as_json)


def _tools(names: tuple[str, ...]) -> dict[str, Any]:
    from agentkit.registry import get_tools

    registry = get_tools()
    chosen = names or tuple(registry.names())
    return {name: registry.get(name) for name in chosen}


def _print_result(result: dict[str, Any], as_json: bool) -> None:
    keys = ("answer", "verified", "unverified_reason", "run_id", "attempts", "usage", "plan")
    if as_json:
        print_json({key: result.get(key) for key in keys})
        return
    echo(result["answer"] if result["answer"] is not None else "(no answer)")
    echo(f"verified: {_verified_text(result)}", err=True)
    usage = result["usage"]
    echo(
        f"run {result['run_id']}: {result['attempts']} attempt(s), "
        f"{usage.get('prompt_tokens', 0)} prompt + {usage.get('completion_tokens', 0)} "
        "completion tokens",
        err=True,
    )


@click.group(name="runs", invoke_without_command=True)
@json_option
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.pass_context
def runs_command(ctx: click.Context, as_json: bool, limit: int) -> None:
    """List recent runs (or show, resume, or draw one)."""
    if ctx.invoked_subcommand is not None:
        return
    from agentkit.store import Store

    store = Store()
    runs = store.list_runs(limit=limit)
    if as_json:
        print_json(runs)
        return
    if not runs:
        echo(f"no runs yet in {store.path}", err=True)
        return
    rows = [[r["id"], r["kind"], r["name"], r["status"], _short(r["input"])] for r in runs]
    print_table(rows, ["RUN", "KIND", "NAME", "STATUS", "INPUT"])


@runs_command.command(name="list")
@json_option
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.pass_context
def list_command(ctx: click.Context, as_json: bool, limit: int) -> None:
    """List recent runs, newest first."""
    ctx.invoke(runs_command, as_json=as_json, limit=limit)


@runs_command.command(name="show")
@click.argument("run_id")
@json_option
def show_command(run_id: str, as_json: bool) -> None:
    """A run's plan, each step (tool, args, result, timing, status), verdicts and tokens."""
    report = _report(run_id)
    if as_json:
        print_json(report)
        return
    echo(f"run {report['id']} ({report['kind']} {report['name']}): {report['status']}")
    if report["input"] is not None:
        echo(f"input: {_short(report['input'], 200)}")
    for step in report["steps"]:
        result = step.get("result") or {}
        shown = result.get("output") if step["status"] == "done" else step.get("reason")
        echo(
            f"  {step['id']:<8} {step['status']:<8} {step['tool']:<12} "
            f"{step.get('elapsed', 0):6.2f}s  {_short(step.get('args'))} -> {_short(shown)}"
        )
    for verdict in report["verdicts"]:
        said = f"{verdict['status']} {verdict.get('feedback', '')}".strip()
        echo(f"  verdict {verdict.get('verifier')}: {said}")
    tokens = report["tokens"]
    echo(f"tokens: {tokens['prompt_tokens']} prompt + {tokens['completion_tokens']} completion")
    output = report["output"] if isinstance(report["output"], dict) else {}
    if "answer" in output:
        echo(f"answer: {output['answer']}\nverified: {_verified_text(output)}")


def _verified_text(result: dict[str, Any]) -> str:
    """'yes', or 'NO (why)': the solver says why; a workflow may only say how it chose."""
    if result.get("verified"):
        return "yes"
    why = result.get("unverified_reason")
    if not why and result.get("selected_by"):
        why = f"chosen by {result['selected_by']}, not by a verifier"
    return f"NO ({why or 'no verifier passed it'})"


@runs_command.command(name="resume")
@click.argument("run_id")
@json_option
def resume_command(run_id: str, as_json: bool) -> None:
    """Continue a solve or workflow run that was cut short; finished calls do not run again."""
    from agentkit.graph import Budgets, Solver, run_solver
    from agentkit.models import get_model
    from agentkit.store import Store

    store = Store()
    run_row = _run_row(store, run_id)
    if run_row["kind"] == "workflow":
        from agentkit.cli.run import print_workflow_result
        from agentkit.workflows import resume_workflow

        print_workflow_result(resume_workflow(run_id, store=store), as_json)
        return
    if run_row["kind"] == "chat":
        raise AgentkitError(
            f"run {run_id} is a chat; continue it with: agentkit chat --resume {run_id}"
        )
    if run_row["kind"] != "solve":
        raise AgentkitError(f"run {run_id} is a '{run_row['kind']}' run; only solve runs resume")
    meta = run_row["meta"] or {}
    run = store.run(run_id)
    solver = Solver(
        get_model(meta.get("model")),
        _tools(tuple(meta.get("tools", ()))),
        budgets=Budgets(**meta.get("budgets", {})),
        run=run,
    )
    problem = run_row["input"]["problem"]
    state = None if store.has_checkpoint(run_id) else Solver.initial_state(problem)
    _print_result(asyncio.run(run_solver(solver, state)), as_json)


@runs_command.command(name="graph")
@click.argument("run_id")
@click.option(
    "--png",
    "png_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also draw the plan into this PNG file.",
)
def graph_command(run_id: str, png_path: str | None) -> None:
    """Print a run's plan as a Mermaid flowchart, each step coloured by its state."""
    from agentkit.plan import Plan

    report = _report(run_id)
    if not report["plan"]:
        raise AgentkitError(f"run {run_id} has no plan")
    plan = Plan.parse(report["plan"])
    statuses = {step["id"]: step["status"] for step in report["steps"]}
    echo(plan.mermaid(statuses), nl=False)
    if png_path:
        plan.png(png_path, statuses)


def _run_row(store: Any, run_id: str) -> dict[str, Any]:
    row = store.get_run(run_id)
    if row is None:
        raise AgentkitError(f"no run '{run_id}' (see: agentkit runs list)")
    return row


def _report(run_id: str) -> dict[str, Any]:
    from agentkit.store import Store

    store = Store()
    row = _run_row(store, run_id)
    events = store.events(run_id)
    output = row["output"] if isinstance(row["output"], dict) else {}
    steps = list((output.get("steps") or {}).values()) or [
        {
            "id": event["payload"].get("id"),
            "tool": event["name"],
            "status": "done" if event["ok"] else "failed",
            "args": event["payload"].get("arguments"),
            "result": event["payload"].get("result"),
            "elapsed": event["elapsed"],
        }
        for event in events
        if event["type"] == "tool_call"
    ]
    return {
        **row,
        "plan": output.get("plan") or (store.checkpointed_state(run_id) or {}).get("plan"),
        "steps": steps,
        "verdicts": [event["payload"] for event in events if event["type"] == "verdict"],
        "tokens": store.run(run_id).usage(),
        "model_calls": sum(event["type"] == "model_call" for event in events),
    }


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


COMMANDS = [solve_command, runs_command]
