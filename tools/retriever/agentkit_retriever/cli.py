"""``agentkit index``: add, search, list and remove indexes.

``--index`` takes a name (a file under ``$AGENTKIT_HOME/indexes``) or a path with a
slash or ending in ``.db``. Every subcommand takes ``--json`` and then prints one JSON
document on stdout; warnings (skipped files) go to stderr as single lines.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from agentkit.cli.output import echo, json_option, print_json, print_table
from agentkit_retriever.errors import RetrieverError
from agentkit_retriever.search import MODES, SearchResult, search
from agentkit_retriever.store import DEFAULT_INDEX, Index, index_names, remove_index
from agentkit_retriever.update import UpdateReport, update_index

index_option = click.option(
    "--index",
    "where",
    default=DEFAULT_INDEX,
    show_default=True,
    help="Index name, or a path to an index file (with a slash or ending in .db).",
)


@click.group(name="index")
def index_command() -> None:
    """Build and search document indexes (SQLite FTS5 BM25, optional dense vectors)."""


@index_command.command(name="add")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--field", help="For .jsonl files: the record field that holds the text.")
@click.option("--dense", "dense_vectors", is_flag=True, help="Also store embeddings.")
@click.option("--model", help="Embedding model: a sentence-transformers name or local path.")
@json_option
def add_command(
    paths: tuple[Path, ...],
    where: str,
    field: str | None,
    dense_vectors: bool,
    model: str | None,
    as_json: bool,
) -> None:
    """Index PATHs (files or directories); with no PATH, rescan every path already added.

    Unchanged files are not touched, changed ones are re-chunked, deleted ones leave
    the index. Markdown is chunked by heading, Python and Coq by definition, JSONL by
    record (--field), other text by paragraph.
    """
    report = update_index(
        where,
        paths,
        field=field,
        dense_vectors=dense_vectors,
        model=model,
        warn=lambda line: echo(f"Warning: {line}", err=True),
    )
    if as_json:
        print_json(report.to_dict())
    else:
        echo(_summary(report))


def _summary(report: UpdateReport) -> str:
    lines = [
        f"{report.index}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.removed} removed, "
        f"{len(report.skipped)} skipped; {report.chunks} chunks written",
        f"now {report.files_total} files, {report.chunks_total} chunks ({report.elapsed:.2f}s)",
    ]
    if report.model:
        lines.append(f"{report.embedded} chunks embedded with {report.model}")
    return "\n".join(lines)


@index_command.command(name="search")
@click.argument("query")
@click.option("-k", "k", type=int, default=5, show_default=True, help="How many chunks.")
@index_option
@click.option(
    "--mode",
    type=click.Choice(MODES),
    help="Ranking; default: hybrid when the index has vectors, bm25 otherwise.",
)
@json_option
def search_command(query: str, k: int, where: str, mode: str | None, as_json: bool) -> None:
    """Print the chunks that best match QUERY (plain words; no query syntax)."""
    result = search(where, query, k=k, mode=mode)  # type: ignore[arg-type]
    if as_json:
        print_json(result.to_dict())
    else:
        _print_hits(result)


def _print_hits(result: SearchResult) -> None:
    if not result.hits:
        echo(f"no match in {result.index}")
    for number, hit in enumerate(result.hits, 1):
        where = f"{_shown(hit.path)}:{hit.start_line}-{hit.end_line}"
        title = f"  {hit.title}" if hit.title else ""
        echo(f"{number}. {where}{title}  ({result.mode} {hit.score:.4g})")
        preview = hit.snippet or hit.text[:200]
        echo(f"   {' '.join(preview.split())}")
    if result.note:
        echo(f"({result.note})")


def _shown(path: str) -> str:
    """A path relative to the working directory when it is under it."""
    try:
        return os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else path
    except ValueError:
        return path


@index_command.command(name="list")
@json_option
def list_command(as_json: bool) -> None:
    """List the indexes under $AGENTKIT_HOME/indexes with their sizes and counts."""
    rows = []
    for name in index_names():
        try:
            with Index.open(name) as index:
                rows.append({"name": name, **index.stats().to_dict()})
        except RetrieverError as exc:  # one broken file should not hide the others
            rows.append({"name": name, "error": str(exc)})
    if as_json:
        print_json(rows)
        return
    if not rows:
        echo("no indexes yet (create one with: agentkit index add PATH)")
        return
    table = [
        [r["name"], str(r["files"]), str(r["chunks"]), _size(r["size_bytes"]), r["model"] or "-"]
        if "error" not in r
        else [r["name"], "-", "-", "-", f"error: {r['error']}"]
        for r in rows
    ]
    print_table(table, ["NAME", "FILES", "CHUNKS", "SIZE", "DENSE MODEL"])


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size:.1f} GiB"


@index_command.command(name="remove")
@click.argument("name")
@json_option
def remove_command(name: str, as_json: bool) -> None:
    """Delete the index NAME (a name or a path to an index file)."""
    path = remove_index(name)
    if as_json:
        print_json({"removed": str(path)})
    else:
        echo(f"removed {path}")


__all__ = ["index_command"]
