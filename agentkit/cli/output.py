"""Output helpers for agentkit's commands and for plugins' (``register_commands``), so
that every command behaves alike: ``--json`` prints exactly one JSON document on stdout,
tables are plain aligned columns, JSON-object options fail with one usage line, and
nothing a program, a kernel or a model wrote can drive the terminal (:func:`echo`)."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from agentkit.redact import redact
from agentkit.terminal import safe_text

# JSON escapes C0 controls itself; with ensure_ascii=False it leaves DEL, the C1
# controls and lone surrogates raw. They can only stand inside JSON strings, where
# \uXXXX is the same text, so the document still says exactly what was there.
_JSON_RAW = re.compile(r"[\x7f-\x9f\ud800-\udfff]")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout."
)


def echo(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` for text that may hold anything: controls are shown, not obeyed."""
    click.echo(safe_text(message), err=err, nl=nl)


def one_line(message: Any) -> str:
    """An error or warning as one line for stderr: whatever it quotes (a kernel log's
    tail, an endpoint URL, a program's exception) with its controls shown, its
    credentials redacted and its whitespace collapsed."""
    return " ".join(safe_text(redact(str(message))).split())


def print_json(document: Any) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    click.echo(_JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def print_table(rows: list[list[str]], headers: list[str]) -> None:
    """Plain aligned columns; the last column may be long and is not padded."""
    table = [headers, *[[safe_text(cell) for cell in row] for row in rows]]
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
