"""JSONL: one chunk per record, its text taken from a chosen field.

The chunk's line range is the record's line. The record's other fields are kept as the
chunk's metadata, and its ``title``, ``name`` or ``id`` (the first present) is the
chunk's title. Blank lines are ignored; lines that are not JSON objects and records
without the field are skipped and counted in one warning. A file where no record has
the field is an error that names the fields it does have.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from agentkit_retriever.chunking.base import Chunk, ChunkError, ChunkOptions

TITLE_FIELDS = ("title", "name", "id")


def chunk_jsonl(text: str, options: ChunkOptions) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen_fields: Counter[str] = Counter()
    malformed = missing = 0
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        record = _record(line)
        if record is None:
            malformed += 1
            continue
        seen_fields.update(record.keys())
        if options.field not in record:
            missing += 1
            continue
        chunks.append(_chunk(record, options.field, number))
    if not chunks and (missing or malformed):
        common = sorted(seen_fields, key=lambda name: -seen_fields[name])[:10]  # ties: first seen
        fields = ", ".join(common) or "none"
        raise ChunkError(f"no JSON record has the field '{options.field}' (fields seen: {fields})")
    if missing or malformed:
        options.warnings.append(
            f"skipped {missing} record(s) without '{options.field}' "
            f"and {malformed} line(s) that are not JSON objects"
        )
    return chunks


def _record(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _chunk(record: dict[str, Any], field: str, number: int) -> Chunk:
    value = record[field]
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    meta = {key: item for key, item in record.items() if key != field}
    title = next((str(meta[key]) for key in TITLE_FIELDS if key in meta), f"line {number}")
    return Chunk("record", title[:200], number, number, text, meta or None)
