"""The run store: one SQLite database under ``AGENTKIT_HOME``.

It holds runs, their events (every model call, tool call and verdict, with timings and
token counts) and LangGraph's checkpoints, all in the same file. The database is in
WAL mode with a busy timeout, so several threads and worker processes can write at
once; each thread gets its own connection. The schema grows through ordered migration
functions, each recorded in ``_migrations`` when applied.

Secrets never enter it: every payload passes through :func:`agentkit.redact.redact`.
Nobody else reads it either: ``AGENTKIT_HOME`` is made 0700 and the database 0600
(SQLite gives its ``-wal`` and ``-shm`` files the database's mode); the chat history
beside it is made the same way.
"""

from __future__ import annotations

import contextvars
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit.config import home
from agentkit.errors import StoreError
from agentkit.files import private_dir, private_file
from agentkit.redact import env_secrets, redact

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite import SqliteSaver

BUSY_TIMEOUT_MS = 30_000

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Append a migration; they run in the order they are defined, once per database."""
    MIGRATIONS.append(fn)
    return fn


def apply_migrations(tx: sqlite3.Connection, steps: Sequence[Migration]) -> None:
    """Run the ``steps`` not yet recorded in the ``_migrations`` table, in order, and
    record them. Call it inside a write transaction (``BEGIN IMMEDIATE``), so that two
    processes opening the same database never both apply a step."""
    tx.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied REAL)")
    done = {row[0] for row in tx.execute("SELECT name FROM _migrations")}
    for step in steps:
        if step.__name__ not in done:
            step(tx)
            tx.execute(
                "INSERT INTO _migrations (name, applied) VALUES (?, ?)",
                (step.__name__, time.time()),
            )


@migration
def m001_runs_and_events(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            input TEXT,
            output TEXT,
            error TEXT,
            meta TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(id),
            type TEXT NOT NULL,
            name TEXT NOT NULL,
            started REAL NOT NULL,
            elapsed REAL NOT NULL,
            ok INTEGER,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            payload TEXT
        )"""
    )
    db.execute("CREATE INDEX events_by_run ON events(run_id, id)")
    db.execute("CREATE INDEX runs_by_created ON runs(created)")


@migration
def m002_model_cache(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE model_cache (key TEXT PRIMARY KEY, response TEXT NOT NULL, created REAL)"
    )


@migration
def m003_step_results(db: sqlite3.Connection) -> None:
    # Finished tool calls of a run, by a key of the call: a resumed run takes them from
    # here instead of calling the tool again.
    db.execute(
        """CREATE TABLE step_results (
            run_id TEXT NOT NULL REFERENCES runs(id),
            key TEXT NOT NULL,
            result TEXT NOT NULL,
            created REAL NOT NULL,
            PRIMARY KEY (run_id, key)
        )"""
    )


def default_path() -> Path:
    return home() / "agentkit.db"


class Store:
    """A handle on the run database; cheap to create, safe to share between threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Secret values from the environment, read once: scanning it per write would
        # cost more than the write. Keys and token shapes are caught on every write.
        self.secrets = env_secrets()
        try:
            private_dir(self.path.parent)
            private_file(self.path)
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the run store at {self.path}: {exc}") from None

    # -- connections and schema -----------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; use :meth:`transaction` to group writes)."""
        db = getattr(self._local, "db", None)
        if db is None:
            # check_same_thread=False only so close() may close every thread's connection;
            # each connection is otherwise used by the thread that made it.
            db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.row_factory = sqlite3.Row
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _migrate(self) -> None:
        # BEGIN IMMEDIATE takes the write lock first, so two processes never both apply.
        with self.transaction() as tx:
            apply_migrations(tx, MIGRATIONS)

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        """The first row of a query, with the statement finished.

        A half-read statement keeps its WAL read snapshot open; the next write on this
        connection would then fail at once ("database is locked") as soon as another
        connection has committed. ``fetchall`` runs the statement to its end.
        """
        rows = self.connect().execute(sql, params).fetchall()
        return rows[0] if rows else None

    def applied_migrations(self) -> list[str]:
        rows = self.connect().execute("SELECT name FROM _migrations ORDER BY rowid")
        return [row[0] for row in rows]

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # -- runs and events ------------------------------------------------------------

    def start_run(
        self, kind: str, name: str, input: Any = None, meta: dict[str, Any] | None = None
    ) -> Run:
        run_id = uuid.uuid4().hex[:16]
        now = time.time()
        self.connect().execute(
            "INSERT INTO runs (id, kind, name, status, input, meta, created, updated)"
            " VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
            (run_id, kind, name, self.dumps(input), self.dumps(meta or {}), now, now),
        )
        return Run(self, run_id)

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        row = self.one("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _run_row(row) if row else None

    def run(self, run_id: str) -> Run:
        """A handle on an existing run (to record into it, or resume it)."""
        if self.get_run(run_id) is None:
            raise StoreError(f"no run '{run_id}' in {self.path}")
        return Run(self, run_id)

    def list_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = (
            self.connect()
            .execute("SELECT * FROM runs ORDER BY created DESC LIMIT ?", (limit,))
            .fetchall()
        )
        return [_run_row(row) for row in rows]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        rows = (
            self.connect()
            .execute("SELECT * FROM events WHERE run_id = ? ORDER BY id", (run_id,))
            .fetchall()
        )
        return [{**dict(row), "payload": _loads(row["payload"])} for row in rows]

    def dumps(self, value: Any) -> str | None:
        """JSON for the database, with secrets redacted."""
        if value is None:
            return None
        return json.dumps(redact(value, self.secrets), ensure_ascii=False, default=repr)

    # -- LangGraph checkpoints ------------------------------------------------------

    def checkpointer(self) -> SqliteSaver:
        """A LangGraph checkpointer that writes into this same database."""
        from langgraph.checkpoint.sqlite import SqliteSaver

        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(db, serde=strict_serializer())
        saver.setup()
        return saver

    def checkpointed_state(self, thread_id: str) -> dict[str, Any] | None:
        """The latest state LangGraph saved for this thread (a run), or None."""
        saver = self.checkpointer()
        try:
            saved = saver.get_tuple({"configurable": {"thread_id": thread_id}})
        finally:
            saver.conn.close()
        return None if saved is None else dict(saved.checkpoint["channel_values"])

    def has_checkpoint(self, thread_id: str) -> bool:
        """Whether LangGraph saved anything for this thread (a run) yet."""
        return self.checkpointed_state(thread_id) is not None

    @asynccontextmanager
    async def async_checkpointer(self) -> Any:
        """The async LangGraph checkpointer over this database (for ``ainvoke``)."""
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with aiosqlite.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000) as db:
            await db.execute("PRAGMA journal_mode=WAL")
            saver = AsyncSqliteSaver(db, serde=strict_serializer())
            await saver.setup()
            try:
                yield saver
            finally:
                # A run that fails while LangGraph saves can cancel a checkpoint write
                # between its INSERT (whole: one statement) and its COMMIT. Closed like
                # that, the connection keeps the write lock while anything (a traceback)
                # still holds its statement, and the next write, the run's own "failed",
                # waits out the busy timeout. So finish what was written.
                if db.in_transaction:
                    await db.commit()


def strict_serializer() -> Any:
    """LangGraph's serializer in strict msgpack mode: no pickle, only plain data types.

    Checkpoints hold JSON-like state only; refusing anything else means a tampered
    database cannot make agentkit construct arbitrary objects.
    """
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return JsonPlusSerializer(pickle_fallback=False, allowed_msgpack_modules=None)


_RUN_USAGE = """
SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0)
FROM events WHERE run_id = ?1
"""
_TREE_USAGE = """
WITH RECURSIVE tree(id) AS (
    SELECT ?1
    UNION
    SELECT runs.id FROM runs JOIN tree ON json_extract(runs.meta, '$.parent') = tree.id
    WHERE runs.created >= (SELECT created FROM runs WHERE id = ?1)
)
SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0)
FROM events WHERE run_id IN tree
"""


class Run:
    """One run in the store; tool and model calls made under it are recorded as events."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.id = run_id

    def __repr__(self) -> str:
        return f"Run({self.id!r})"

    def record(
        self,
        type: str,
        name: str,
        *,
        started: float,
        elapsed: float,
        ok: bool | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        payload: Any = None,
    ) -> None:
        """Write one event (a tool call, a model call, a verdict, a log line)."""
        self.store.connect().execute(
            "INSERT INTO events (run_id, type, name, started, elapsed, ok,"
            " prompt_tokens, completion_tokens, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.id,
                type,
                name,
                started,
                elapsed,
                None if ok is None else int(ok),
                prompt_tokens,
                completion_tokens,
                self.store.dumps(payload),
            ),
        )

    def finish(self, status: str = "done", output: Any = None, error: str | None = None) -> None:
        self.store.connect().execute(
            "UPDATE runs SET status = ?, output = ?, error = ?, updated = ? WHERE id = ?",
            (
                status,
                self.store.dumps(output),
                redact(error, self.store.secrets),
                time.time(),
                self.id,
            ),
        )

    def usage(self, *, children: bool = False) -> dict[str, int]:
        """Tokens of the model calls recorded for this run; with ``children``, also for
        the runs it started (sub-solves, which name their parent in ``meta``), and theirs."""
        row = self.store.one(_TREE_USAGE if children else _RUN_USAGE, (self.id,))
        assert row is not None  # an aggregate always has a row
        return {"prompt_tokens": row[0], "completion_tokens": row[1]}

    def remembered(self, key: str) -> Any:
        """A finished call's result recorded under ``key`` by :meth:`remember`, or None."""
        row = self.store.one(
            "SELECT result FROM step_results WHERE run_id = ? AND key = ?", (self.id, key)
        )
        return None if row is None else json.loads(row[0])

    def remember(self, key: str, result: Any) -> None:
        """Record a finished call's result durably (the write is committed on return)."""
        self.store.connect().execute(
            "INSERT OR REPLACE INTO step_results (run_id, key, result, created)"
            " VALUES (?, ?, ?, ?)",
            (self.id, key, self.store.dumps(result), time.time()),
        )

    @contextmanager
    def activate(self) -> Iterator[Run]:
        """Make this the current run: calls made inside record here unless told otherwise."""
        token = current_run.set(self)
        try:
            yield self
        finally:
            current_run.reset(token)


current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "agentkit_current_run", default=None
)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _run_row(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for key in ("input", "output", "meta"):
        data[key] = _loads(data[key])
    return data
