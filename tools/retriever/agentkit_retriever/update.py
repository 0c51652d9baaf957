"""Adding paths to an index, incrementally by content hash.

Each file's bytes are hashed. A file whose hash (and way of chunking) is what the index
already has is not touched. A changed file has its chunks replaced in one transaction,
so a search never sees half a file. A file the index has under a scanned root that is
no longer there, or can no longer be read as text, leaves the index. The roots given
are recorded, so ``update_index(where)`` with no paths rescans every one of them; a
root that has disappeared takes its files out with it.

Bad input is found before anything is written: a missing path, a model the index does
not use, a JSONL file named on the command line in which no record has ``field``.
Files met while walking a directory that cannot be read or chunked are skipped, each
with one warning line.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentkit_retriever import dense
from agentkit_retriever.chunking import Chunked, ChunkError, chunk_document, chunking_key
from agentkit_retriever.errors import RetrieverError
from agentkit_retriever.files import FileData, Unreadable, read, under, walk
from agentkit_retriever.store import Index, delete_index_files, index_path

EMBED_BATCH = 256

Warn = Callable[[str], None]


@dataclass
class UpdateReport:
    """What an update did, for the human and ``--json`` outputs."""

    index: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0  # chunks written by this update
    embedded: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    files_total: int = 0
    chunks_total: int = 0
    model: str | None = None
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Root:
    path: str
    field: str | None


def update_index(
    where: str | None = None,
    paths: Sequence[str | Path] = (),
    *,
    field: str | None = None,
    dense_vectors: bool = False,
    model: str | None = None,
    warn: Warn | None = None,
) -> UpdateReport:
    """Bring the index ``where`` up to date with ``paths`` (or with every recorded root).

    :param field: for JSONL files, the record field holding the text (default ``text``)
    :param dense_vectors: also store embeddings (an index-wide choice, kept from then on)
    :param model: the sentence-transformers model for the embeddings (implies dense)
    :param warn: called with one line per skipped file or other warning
    """
    started = time.perf_counter()
    given = [_existing(path) for path in paths]
    if dense_vectors or model:
        dense.require_dense()
    path = index_path(where)
    existed = path.exists()
    try:
        with Index.open(where, create=bool(given)) as index:
            report = _update(index, given, field, dense_vectors, model, warn or (lambda _: None))
    except RetrieverError:
        if not existed:  # a bad argument leaves no empty index behind
            delete_index_files(path)
        raise
    report.elapsed = time.perf_counter() - started
    return report


def _update(
    index: Index,
    given: list[Path],
    field: str | None,
    dense_vectors: bool,
    model: str | None,
    warn: Warn,
) -> UpdateReport:
    report = UpdateReport(index=str(index.path))
    report.model = _dense_model(index, dense_vectors, model)
    if report.model:
        dense.load_model(report.model)  # a bad model fails here, before any write
    roots = _roots(index, given, field)
    _preflight(given, roots)
    _record(index, roots, given, report.model)
    done: set[str] = set()  # files already handled under an earlier, overlapping root
    for root in roots:
        _update_root(index, root, done, report, warn)
    if report.model:
        report.embedded = embed_missing(index, report.model)
    stats = index.stats()
    report.files_total, report.chunks_total = stats.files, stats.chunks
    return report


def _existing(path: str | Path) -> Path:
    # normpath, not resolve: "a/../b" and "b" are one root, but a symlink stays as named.
    resolved = Path(os.path.normpath(Path(path).expanduser().absolute()))
    if not resolved.exists():
        raise RetrieverError(f"no such file or directory: {path}")
    return resolved


def _dense_model(index: Index, wanted: bool, model: str | None) -> str | None:
    recorded = index.meta("model")
    if recorded and model and model != recorded:
        raise RetrieverError(
            f"index {index.path} embeds with {recorded!r}, not {model!r}; one index holds "
            "vectors of one model (remove the index to change it)"
        )
    if recorded:
        dense.require_dense()
    return recorded or model or (dense.DEFAULT_MODEL if wanted else None)


def _roots(index: Index, given: list[Path], field: str | None) -> list[Root]:
    recorded = {row[0]: row[1] for row in index.db.execute("SELECT path, field FROM roots")}
    if given:
        return [Root(str(p), field or recorded.get(str(p))) for p in dict.fromkeys(given)]
    if not recorded:
        raise RetrieverError(f"index {index.path} has no paths yet: give PATH to add")
    return [Root(path, field or recorded_field) for path, recorded_field in recorded.items()]


def _preflight(given: list[Path], roots: list[Root]) -> None:
    """A JSONL file named explicitly that cannot be chunked is an error, not a warning."""
    fields = {root.path: root.field for root in roots}
    for path in given:
        if path.is_file() and path.suffix.lower() == ".jsonl":
            try:
                chunk_document(path, read(path).text(), field=fields[str(path)])
            except (ChunkError, Unreadable) as exc:
                raise RetrieverError(f"{path}: {exc}") from None


def _record(index: Index, roots: list[Root], given: list[Path], model: str | None) -> None:
    with index.transaction() as db:
        for root in roots:
            if Path(root.path) in given:
                db.execute(
                    "INSERT INTO roots (path, field, added) VALUES (?, ?, ?) ON CONFLICT(path) "
                    "DO UPDATE SET field = excluded.field",
                    (root.path, root.field, time.time()),
                )
        if model and not index.meta("model"):
            index.set_meta(db, "model", model)


def _update_root(
    index: Index, root: Root, done: set[str], report: UpdateReport, warn: Warn
) -> None:
    known = {
        row[0]: (row[1], row[2], row[3])
        for row in index.db.execute("SELECT path, id, hash, chunking FROM files")
        if under(row[0], root.path)
    }
    seen: set[str] = set()
    if not Path(root.path).exists():
        warn(f"{root.path} is gone; its files leave the index")
        with index.transaction() as db:
            db.execute("DELETE FROM roots WHERE path = ?", (root.path,))
    else:
        for path in walk(Path(root.path)):
            name = str(path)
            if name in done or _update_file(index, path, known.get(name), root, report, warn):
                seen.add(name)
            done.add(name)
    gone = [file_id for path, (file_id, _, _) in known.items() if path not in seen]
    if gone:
        with index.transaction() as db:
            for file_id in gone:
                _delete_file(db, file_id)
            index.touch(db)
        report.removed += len(gone)


def _update_file(
    index: Index,
    path: Path,
    known: tuple[int, str, str] | None,
    root: Root,
    report: UpdateReport,
    warn: Warn,
) -> bool:
    """Index one file if it changed; whether it is (still) in the index afterwards."""
    try:
        data = read(path)
        if known and known[1:] == (data.digest, chunking_key(path, root.field)):
            report.unchanged += 1
            return True
        chunked = chunk_document(path, data.text(), field=root.field)
    except (Unreadable, ChunkError) as exc:
        report.skipped.append({"path": str(path), "reason": str(exc)})
        warn(f"skipped {path}: {exc}")
        return False
    for line in chunked.warnings:
        warn(f"{path}: {line}")
    with index.transaction() as db:
        if known:
            _delete_file(db, known[0])
        _insert_file(db, data, chunked)
        index.touch(db)
    report.chunks += len(chunked.chunks)
    if known:
        report.updated += 1
    else:
        report.added += 1
    return True


def _insert_file(db: sqlite3.Connection, data: FileData, chunked: Chunked) -> None:
    cursor = db.execute(
        "INSERT INTO files (path, hash, mtime, size, chunking, indexed) VALUES (?, ?, ?, ?, ?, ?)",
        (str(data.path), data.digest, data.mtime, data.size, chunked.chunking, time.time()),
    )
    db.executemany(
        "INSERT INTO chunks (file_id, kind, title, start_line, end_line, text, meta) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                cursor.lastrowid,
                chunk.kind,
                chunk.title,
                chunk.start_line,
                chunk.end_line,
                chunk.text,
                json.dumps(chunk.meta, ensure_ascii=False) if chunk.meta else None,
            )
            for chunk in chunked.chunks
        ],
    )
    db.execute(
        "INSERT INTO chunks_fts (rowid, title, text) SELECT id, title, text FROM chunks "
        "WHERE file_id = ?",
        (cursor.lastrowid,),
    )


def _delete_file(db: sqlite3.Connection, file_id: int) -> None:
    # An external-content FTS5 table forgets a row only when told its old values.
    db.execute(
        "INSERT INTO chunks_fts (chunks_fts, rowid, title, text) "
        "SELECT 'delete', id, title, text FROM chunks WHERE file_id = ?",
        (file_id,),
    )
    db.execute(
        "DELETE FROM embeddings WHERE chunk_id IN (SELECT id FROM chunks WHERE file_id = ?)",
        (file_id,),
    )
    db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
    db.execute("DELETE FROM files WHERE id = ?", (file_id,))


def embed_missing(index: Index, model: str) -> int:
    """Embed every chunk that has no vector yet, committing batch by batch; how many."""
    missing = [
        row[0]
        for row in index.db.execute(
            "SELECT id FROM chunks WHERE id NOT IN (SELECT chunk_id FROM embeddings) ORDER BY id"
        )
    ]
    for start in range(0, len(missing), EMBED_BATCH):
        batch = missing[start : start + EMBED_BATCH]
        marks = ",".join("?" * len(batch))
        rows = index.db.execute(
            f"SELECT id, title, text FROM chunks WHERE id IN ({marks}) ORDER BY id", batch
        ).fetchall()
        vectors = dense.embed(model, [_embedded_text(title, text) for _, title, text in rows])
        with index.transaction() as db:
            if not index.meta("dimension"):
                index.set_meta(db, "dimension", str(vectors.shape[1]))
            db.executemany(
                "INSERT OR REPLACE INTO embeddings (chunk_id, vector) VALUES (?, ?)",
                [(row[0], dense.to_blob(vec)) for row, vec in zip(rows, vectors, strict=True)],
            )
            index.touch(db)
    return len(missing)


def _embedded_text(title: str, text: str) -> str:
    """What the model reads for a chunk: its title (a heading path, a name) and its text."""
    return f"{title}\n{text}" if title else text
