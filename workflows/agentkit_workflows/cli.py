"""``agentkit eval``: score a workflow on a JSONL dataset, in parallel and resumably.

The work itself is :class:`agentkit_workflows.evaluate.Evaluation`; this module reads
the options, shows progress, prints the summary and draws the chart.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agentkit.cli.output import echo, parse_json_object, print_json
from agentkit.files import save_figure

if TYPE_CHECKING:
    from agentkit import Workflow

PlanHook = Callable[[int, int], None]
RowHook = Callable[[dict[str, Any]], None]
FAILURES_SHOWN = 5


@click.command(name="eval")
@click.argument("workflow_spec", metavar="WORKFLOW")
@click.argument(
    "data", metavar="DATA.jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("-m", "--model", "model_name", help="The model (default: AGENTKIT_MODEL).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    default=4,
    show_default=True,
    help="Worker processes running items at once.",
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Only the first N items.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Output directory (default: evals/WORKFLOW-DATA-MODEL). A rerun into it skips "
    "the items already there.",
)
@click.option(
    "--field",
    "field_specs",
    multiple=True,
    metavar="INPUT=COLUMN",
    help="Feed the workflow's input INPUT from the column COLUMN (repeatable).",
)
@click.option(
    "--gold",
    "gold_column",
    metavar="COLUMN",
    help="The column of the gold answer (default: answer, else gold, else the final "
    "answer of solution).",
)
@click.option(
    "--input",
    "input_json",
    metavar="JSON",
    default="{}",
    help="Inputs for every item, as a JSON object.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Seconds an item may take; then its worker is stopped and the item fails.",
)
@click.option("--retry-failed", is_flag=True, help="Run again the items recorded as failed.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png",
    help="Draw accuracy and tokens per item into a PNG file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
def eval_command(
    workflow_spec: str,
    data: Path,
    model_name: str | None,
    workers: int,
    limit: int | None,
    out: Path | None,
    field_specs: tuple[str, ...],
    gold_column: str | None,
    input_json: str,
    timeout: float | None,
    retry_failed: bool,
    chart: Path | None,
    as_json: bool,
) -> None:
    """Run WORKFLOW (a registered name, FILE.py or FILE.py:NAME) on every item of
    DATA.jsonl and score it against the gold answers.

    Each line is one item, a JSON object whose fields feed the workflow's inputs by
    name (a `question` feeds a `problem` input). Items run in parallel worker
    processes, each as a run in the store; an item that fails (or kills its worker) is
    recorded with its error and the rest go on. Results go to OUT/results.jsonl as each
    item finishes and the numbers to OUT/summary.json; run it again to finish an
    evaluation that was cut short.
    """
    from agentkit_workflows.evaluate import EvalError, Evaluation, FieldMap, default_out

    if chart is not None:
        _check_chart(chart)
    flow = _load(workflow_spec)
    model = _model(model_name)
    fixed = parse_json_object(input_json, "--input")
    try:
        fields = FieldMap.for_workflow(flow, _field_specs(field_specs), fixed, gold_column)
        evaluation = Evaluation(
            flow=flow,
            model=model,
            data=data,
            out=out or default_out(flow, data, model),
            fields=fields,
            workers=workers,
            limit=limit,
            timeout=timeout,
            retry_failed=retry_failed,
        )
        with _progress(f"{flow.name} on {data.name}") as (on_plan, on_row):
            summary = evaluation.run(on_plan, on_row)
    except EvalError as exc:
        raise click.UsageError(str(exc)) from None
    if chart is not None:
        draw_chart(evaluation.rows(), chart, f"{flow.name} ({model}) on {data.name}")
        summary["chart"] = str(chart)
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)


def _load(spec: str) -> Workflow:
    from agentkit.workflow_loader import load_workflow
    from agentkit.workflows import WorkflowError

    try:
        return load_workflow(spec)
    except WorkflowError as exc:
        raise click.BadParameter(str(exc), param_hint="WORKFLOW") from None


def _model(name: str | None) -> str:
    """The model's name, the configured default when none is given."""
    import agentkit
    from agentkit.errors import ConfigError

    try:
        return agentkit.get_model(name).name
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _field_specs(specs: tuple[str, ...]) -> dict[str, str]:
    fields = {}
    for spec in specs:
        name, sep, column = spec.partition("=")
        if not (sep and name.strip() and column.strip()):
            raise click.BadParameter(f"'{spec}' is not INPUT=COLUMN", param_hint="--field")
        fields[name.strip()] = column.strip()
    return fields


def _check_chart(path: Path) -> None:
    if path.suffix.lower() != ".png":
        raise click.BadParameter(f"{path} is not a .png file", param_hint="--chart")
    if importlib.util.find_spec("matplotlib") is None:
        raise click.UsageError("--chart needs matplotlib: pip install 'agentkit-workflows[png]'")


# -- progress and the report ------------------------------------------------------------


@contextlib.contextmanager
def _progress(label: str) -> Iterator[tuple[PlanHook | None, RowHook | None]]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None, None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    tasks: list[Any] = []
    failed = [0]

    def on_plan(total: int, skipped: int) -> None:
        tasks.append(bar.add_task(label, total=total, completed=skipped, failed=0))

    def on_row(row: dict[str, Any]) -> None:
        failed[0] += row["status"] != "done"
        bar.update(tasks[0], advance=1, failed=failed[0])

    with bar:
        yield on_plan, on_row


def _print_summary(summary: dict[str, Any]) -> None:
    missing = summary["items"] - summary["finished"] - summary["failed"]
    lines = [
        ("workflow", f"{summary['workflow']} (model {summary['model']})"),
        (
            "items",
            f"{summary['items']}: {summary['finished']} finished, {summary['failed']} failed"
            + (f", {missing} not run" if missing else "")
            + f" (ran {summary['ran']}, skipped {summary['skipped']} done before)",
        ),
        ("accuracy", _rate(summary["accuracy"], summary["correct"], summary["with_gold"])),
        ("coverage", _rate(summary["coverage"], summary["covered"], summary["with_gold"])),
        ("verified", _rate(summary["verified_rate"], summary["verified"], _recorded(summary))),
        ("tokens", _spread(summary["tokens"], "")),
        ("seconds", _spread(summary["seconds"], " s")),
        ("results", summary["results"]),
    ]
    if "chart" in summary:
        lines.append(("chart", summary["chart"]))
    width = max(len(name) for name, _ in lines)
    for name, text in lines:
        echo(f"{name.ljust(width)}  {text}")
    failures = summary["failures"]
    for failure in failures[:FAILURES_SHOWN]:
        echo(f"  line {failure['line']}: {failure['error']}")
    if len(failures) > FAILURES_SHOWN:
        echo(f"  ... and {len(failures) - FAILURES_SHOWN} more failures in results.jsonl")


def _recorded(summary: dict[str, Any]) -> int:
    return summary["finished"] + summary["failed"]


def _rate(share: float | None, part: int, whole: int) -> str:
    if share is None:
        return "n/a (no items with a gold answer)" if whole == 0 else "n/a"
    return f"{share:.1%} ({part} of {whole})"


def _spread(spread: dict[str, Any], unit: str) -> str:
    if spread["mean"] is None:
        return "n/a"
    return (
        f"mean {spread['mean']:g}{unit}, median {spread['median']:g}{unit} per item "
        f"(total {spread['total']:g}{unit})"
    )


def draw_chart(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    """Two panels over the items: running accuracy (each graded item marked right or
    wrong) and the tokens each item used."""
    from matplotlib.figure import Figure

    lines = [row["line"] for row in rows]
    graded = [row for row in rows if row.get("gold") is not None]
    right = 0
    running = []
    for count, row in enumerate(graded, 1):
        right += row.get("correct") is True
        running.append(right / count)
    figure = Figure(figsize=(max(6.0, min(18.0, 0.25 * len(rows))), 6.0))
    accuracy, tokens = figure.subplots(2, 1, sharex=True)
    accuracy.step([row["line"] for row in graded], running, where="post", label="accuracy so far")
    for outcome, colour in ((True, "tab:green"), (False, "tab:red")):
        marked = [row["line"] for row in graded if (row.get("correct") is True) is outcome]
        accuracy.scatter(marked, [float(outcome)] * len(marked), color=colour, s=12)
    accuracy.set_ylim(-0.05, 1.05)
    accuracy.set_ylabel("accuracy")
    accuracy.legend(loc="lower right")
    colours = ["tab:blue" if row["status"] == "done" else "tab:gray" for row in rows]
    tokens.bar(lines, [row["tokens"]["total"] for row in rows], color=colours)
    tokens.set_ylabel("tokens")
    tokens.set_xlabel("item (line of the data file)")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(figure, path, dpi=100)
