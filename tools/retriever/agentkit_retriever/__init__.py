"""agentkit-retriever: the ``retrieve`` tool and the ``agentkit index`` command.

An index is an embedded SQLite file with an FTS5 table ranked by BM25 and, with the
``dense`` extra, sentence-transformers vectors beside the text for hybrid ranking.
Files are chunked by format (Markdown by heading, Python and Coq by definition, JSONL
by record, other text by paragraph) and re-indexed incrementally by content hash.
"""

from __future__ import annotations

from typing import Any

import agentkit
from agentkit import ToolResult
from agentkit_retriever.chunking import Chunk, chunk_document
from agentkit_retriever.errors import RetrieverError
from agentkit_retriever.search import MAX_K, Hit, Mode, SearchResult, match_expression, search
from agentkit_retriever.store import Index, index_path, remove_index
from agentkit_retriever.update import UpdateReport, update_index

__all__ = [
    "MAX_K",
    "Chunk",
    "Hit",
    "Index",
    "Mode",
    "RetrieverError",
    "SearchResult",
    "UpdateReport",
    "chunk_document",
    "index_path",
    "match_expression",
    "remove_index",
    "retrieve",
    "search",
    "update_index",
]


@agentkit.tool(name="retrieve")
def retrieve(
    query: str, k: int = 5, index: str = "default", mode: Mode | None = None
) -> ToolResult:
    """Search a document index for the passages most relevant to a query.

    Returns the best chunks, each with its file path, line range, title, score and
    text. Write the query as plain words (no operators); every word counts, rarer
    words count more. Indexes are built with `agentkit index add PATH`.

    :param query: the words to look for, e.g. "commutativity of addition"
    :param k: how many passages to return (1-50)
    :param index: the index name (or path to an index file); "default" unless told otherwise
    :param mode: bm25 (words), dense (meaning) or hybrid (both); default: hybrid when the
        index has vectors, bm25 otherwise
    """
    try:
        result = search(index, query, k=k, mode=mode)
    except RetrieverError as exc:
        return ToolResult.failure(str(exc))
    return ToolResult(ok=True, output=result.to_dict())


@agentkit.hookimpl
def register_tools(register: Any) -> None:
    register(retrieve)


@agentkit.hookimpl
def register_commands(cli: Any) -> None:
    from agentkit_retriever.cli import index_command

    cli.add_command(index_command)
