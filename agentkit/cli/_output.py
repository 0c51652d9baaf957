"""Shared output helpers: ``--json`` prints exactly one JSON document on stdout."""

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
