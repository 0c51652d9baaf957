"""Output helpers for agentkit's commands and for plugins' (``register_commands``), so
that every command behaves alike: ``--json`` prints exactly one JSON document on stdout,
tables are plain aligned columns, JSON-object options fail with one usage line."""

from __future__ import annotations

import json
from typing import Any

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout."
)


def print_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def print_table(rows: list[list[str]], headers: list[str]) -> None:
    """Plain aligned columns; the last column may be long and is not padded."""
    table = [headers, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


def parse_json_object(text: str, option: str) -> dict[str, Any]:
    """The value of a JSON-object option (``--args``, ``--input``), or a usage error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON ({exc})", param_hint=option) from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=option)
    return value
