"""Python source: one chunk per top-level function or class, found with ``ast``.

A definition's chunk starts at its first decorator, or at the comment block right above
it, and ends at its last line. The statements between definitions (the module
docstring, the imports, constants) form chunks of their own, one per run. A class
longer than :data:`CLASS_SPLIT_CHARS` is split the same way one level down: a chunk
per method titled ``Class.method`` and one per run of other class-body statements.
Source that does not parse is chunked as plain text.
"""

from __future__ import annotations

import ast

from agentkit_retriever.chunking.base import Chunk, ChunkOptions, lines_chunk
from agentkit_retriever.chunking.text import chunk_text

CLASS_SPLIT_CHARS = 3000

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def chunk_python(text: str, options: ChunkOptions | None = None) -> list[Chunk]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return chunk_text(text)
    lines = text.split("\n")
    return _body_chunks(lines, tree.body, prefix="", floor=1)


def _body_chunks(lines: list[str], body: list[ast.stmt], prefix: str, floor: int) -> list[Chunk]:
    """Chunks for one statement list; ``floor`` is the first line they may claim."""
    chunks: list[Chunk] = []
    run: list[ast.stmt] = []
    for node in body:
        if not isinstance(node, Definition):
            run.append(node)
            continue
        if run:
            chunks.append(_run_chunk(lines, run, prefix))
            floor = run[-1].end_lineno + 1  # type: ignore[operator]
            run = []
        chunks += _definition_chunks(lines, node, prefix, floor)
        floor = node.end_lineno + 1  # type: ignore[operator]
    if run:
        chunks.append(_run_chunk(lines, run, prefix))
    return chunks


def _definition_chunks(lines: list[str], node: Definition, prefix: str, floor: int) -> list[Chunk]:
    start = _leading_comments(lines, _first_line(node), floor)
    end = node.end_lineno or node.lineno
    name = f"{prefix}{node.name}"
    if isinstance(node, ast.ClassDef):
        whole = lines_chunk(lines, start, end, "class", f"class {name}")
        has_methods = any(isinstance(n, Definition) for n in node.body)
        if len(whole.text) <= CLASS_SPLIT_CHARS or not has_methods:
            return [whole]
        return _split_class(lines, node, start, name)
    kind = "method" if prefix else "function"
    return [lines_chunk(lines, start, end, kind, f"def {name}")]


def _split_class(lines: list[str], node: ast.ClassDef, start: int, name: str) -> list[Chunk]:
    """The class header (with its docstring) and then its members, one level down."""
    body = node.body
    if _is_docstring(body[0]):
        header_end, body = body[0].end_lineno or body[0].lineno, body[1:]
    else:
        header_end = max(node.lineno, _first_line(body[0]) - 1)
    header = lines_chunk(lines, start, header_end, "class", f"class {name}")
    return [header, *_body_chunks(lines, body, prefix=f"{name}.", floor=header_end + 1)]


def _run_chunk(lines: list[str], run: list[ast.stmt], prefix: str) -> Chunk:
    start, end = _first_line(run[0]), run[-1].end_lineno or run[-1].lineno
    if prefix:
        return lines_chunk(lines, start, end, "class", f"class {prefix.rstrip('.')}")
    return lines_chunk(lines, start, end, "module", _module_title(run))


def _module_title(run: list[ast.stmt]) -> str:
    if _is_docstring(run[0]):
        return "module docstring and imports"
    if all(isinstance(n, ast.Import | ast.ImportFrom) for n in run):
        return "imports"
    return "module-level code"


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _leading_comments(lines: list[str], start: int, floor: int) -> int:
    """Move ``start`` up over the ``#`` comment lines right above it (not below ``floor``)."""
    while start - 1 >= floor and lines[start - 2].lstrip().startswith("#"):
        start -= 1
    return start
