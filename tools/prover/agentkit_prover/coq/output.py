"""Reading what Coq's programs print: coqc's diagnostics and ``-time`` lines, coqchk's
context summary, ``Print Assumptions`` and the ``.glob`` file."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LOCATION = re.compile(r'^File "([^"]*)", line (\d+), characters (\d+)-(\d+):\n', re.M)
_DIAGNOSTIC_START = re.compile(r"^(Error|Warning):", re.M)
_TIME_LINE = re.compile(r"^Chars (\d+) - (\d+) \[", re.M)
_SUMMARY_TITLE = re.compile(r"^\* ([^:]+):\s*(.*)$")
_GLOB_ENTRY = re.compile(r"^(\w+) (\d+):(\d+) (\S+) (\S+)$", re.M)


@dataclass
class Diagnostic:
    """One ``Error:`` or ``Warning:`` from coqc, with coqc's own position when it gave one."""

    kind: str  # "Error" or "Warning"
    message: str
    line: int | None = None
    start: int | None = None  # bytes from the start of ``line``
    end: int | None = None
    file: str | None = None  # as coqc names it, e.g. "./proof.v"


def diagnostics(stderr: str) -> list[Diagnostic]:
    """Every error and warning in coqc's stderr, in order."""
    found: list[Diagnostic] = []
    headers = list(_LOCATION.finditer(stderr))
    if not headers or headers[0].start() > 0:
        found += _blocks(stderr[: headers[0].start() if headers else len(stderr)], None)
    for i, header in enumerate(headers):
        stop = headers[i + 1].start() if i + 1 < len(headers) else len(stderr)
        file, line, start, end = header.group(1), *(int(g) for g in header.groups()[1:])
        found += _blocks(stderr[header.end() : stop], (line, start, end, file))
    return found


def _blocks(text: str, location: tuple[int, int, int, str] | None) -> list[Diagnostic]:
    """The diagnostics in one stretch of stderr; only the first owns the location."""
    starts = list(_DIAGNOSTIC_START.finditer(text))
    if not starts and text.strip():  # an anomaly or a fatal error in another format
        return [Diagnostic("Error", text.strip(), *(location or ()))]
    found = []
    for i, start in enumerate(starts):
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        message = text[start.end() : stop].strip()
        here = location if i == 0 else None
        found.append(Diagnostic(start.group(1), message, *(here or ())))
    return found


def executed_sentences(stdout: str) -> list[tuple[int, int]]:
    """Byte spans of the sentences coqc ran (``-time`` prints one line per sentence)."""
    return [(int(a), int(b)) for a, b in _TIME_LINE.findall(stdout)]


def checker_summary(text: str) -> dict[str, list[str]]:
    """coqchk's ``CONTEXT SUMMARY``: each section's title and the names under it."""
    sections: dict[str, list[str]] = {}
    names: list[str] | None = None
    for line in text.splitlines():
        if title := _SUMMARY_TITLE.match(line):
            names = sections.setdefault(title.group(1).strip(), [])
            value = title.group(2).strip()
            if value and value != "<none>":
                names.append(value)
        elif names is not None and line.startswith("    ") and line.strip():
            names.append(line.strip())
    return sections


def assumptions(text: str) -> list[str]:
    """What one ``Print Assumptions`` printed: axiom names, and unsafe-flag sentences.

    An entry starts at column 0 (``name : type`` or ``f is assumed to be guarded.``);
    longer types continue on indented lines; ``Axioms:``-style lines are headers.
    """
    found = []
    for line in text.splitlines():
        if not line or line[0].isspace() or line.startswith("Closed under"):
            continue
        if line.endswith(":") and " : " not in line:
            continue
        found.append(line.split(" : ", 1)[0].strip() if " : " in line else line.strip())
    return found


@dataclass
class GlobEntry:
    """One definition in a ``.glob`` file: its kind, byte span, module path and name."""

    kind: str  # "prf", "def", "ax", "mod", "modtype", "sec", ...
    start: int
    end: int
    path: str  # "<>" at top level
    name: str

    @property
    def qualified(self) -> str:
        return self.name if self.path == "<>" else f"{self.path}.{self.name}"


def glob_entries(text: str) -> list[GlobEntry]:
    """Every definition in a ``.glob`` file (references, ``R...`` lines, are skipped)."""
    return [
        GlobEntry(kind, int(start), int(end), path, name)
        for kind, start, end, path, name in _GLOB_ENTRY.findall(text)
    ]
