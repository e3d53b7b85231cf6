"""The one owner of ytlocal's SQLite files: connections, pragmas and schema versions.

The job list (:mod:`ytlocal.jobs`) and the library (:mod:`ytlocal.library`) each describe their
tables as a :class:`Schema` (a numbered list of migrations) and open their file through a
:class:`Database`, which is what makes them usable from a threaded server:

- **A connection per thread.** A ``sqlite3`` connection may only be used by one thread at a time, and
  a web server answers requests on a pool of threads while a batch runs on another. Each thread gets
  its own connection on first use (SQLite itself arbitrates between them: WAL lets readers go on while
  one writer writes). Connections of threads that have ended are closed when a new one opens, and
  :meth:`Database.close` closes them all.
- **The same pragmas everywhere.** WAL journal, a busy timeout (a writer waits for another instead of
  failing at once), foreign keys on, and the synchronous level the owner asks for (``FULL`` for the
  job list, whose every state change must survive a power cut).
- **Schema versions.** ``PRAGMA user_version`` counts the migrations a file has had. Opening runs the
  missing ones, each in its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a
  kill leaves the old version or the new one, and two processes opening an old file at once migrate
  it once. Migrations are written so that files created before versions existed (``user_version`` 0
  but tables present) pass through them unharmed. A file from a newer ytlocal is refused with a clear
  message rather than half understood.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence, Union

from .errors import YtlocalError

Migration = Union[str, Callable[[sqlite3.Connection], None]]
"""SQL statements (run one by one, inside the migration's transaction), or a function that gets the
connection (for steps SQL cannot say idempotently, such as adding a column only where it is missing)."""


@dataclass(frozen=True)
class Schema:
    """The tables of one kind of database: ``migrations[i]`` takes a file from version ``i`` to ``i + 1``."""

    name: str  # what the file is, for messages ("job list", "library")
    migrations: Sequence[Migration] = field(default_factory=tuple)

    @property
    def version(self) -> int:
        return len(self.migrations)


def add_column(connection: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    """``ALTER TABLE table ADD COLUMN column declaration`` unless the column is already there (a file
    made before schema versions may already have it)."""
    columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    if column not in columns:
        connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def statements(script: str) -> list[str]:
    """A SQL script split into whole statements (triggers keep their inner ``;``)."""
    found, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                found.append(current.strip())
            current = ""
    if current.strip():
        found.append(current.strip())
    return found


class Database:
    """One SQLite file: a connection per thread, the pragmas, and the schema brought up to date.

    Args:
        path: The file (its folder is created).
        schema: Its tables, as migrations.
        busy_timeout: Seconds a statement waits for another connection's lock before failing.
        synchronous: ``FULL`` (every commit on disk before it returns) or ``NORMAL`` (WAL's default:
            safe against a crash of the process, not of the machine).
        too_new: The error class raised for a file written by a newer ytlocal.

    Raises:
        sqlite3.Error: The file is not a database, or is locked longer than ``busy_timeout``.
        OSError: The folder cannot be created.
    """

    def __init__(self, path: Path | str, schema: Schema, *, busy_timeout: float = 10.0,
                 synchronous: str = "NORMAL", too_new: type[YtlocalError] = YtlocalError):
        self.path = Path(path)
        self.schema = schema
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._migrate(too_new)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ connections

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._closed:
                raise sqlite3.ProgrammingError(f"the {self.schema.name} at {self.path} is closed")
            connection = self._connect()
            self._local.connection = connection
        return connection

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so that close() may close another thread's connection; each
        # connection is used by the thread that opened it (thread-local).
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                     check_same_thread=False)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":  # persistent in the file: set once, by whoever comes first
                connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
        except BaseException:
            connection.close()
            raise
        with self._lock:
            finished = [(thread, other) for thread, other in self._open if not thread.is_alive()]
            for item in finished:
                self._open.remove(item)
                item[1].close()
            self._open.append((threading.current_thread(), connection))
        return connection

    def execute(self, sql: str, parameters: Sequence | dict = ()) -> sqlite3.Cursor:
        """Run one statement on this thread's connection (autocommit: it is its own transaction)."""
        return self.connection.execute(sql, parameters)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception, a kill included)."""
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction (``BEGIN`` ... ``COMMIT``): every read inside sees the same state of the
        file, whatever other connections write meanwhile (WAL)."""
        connection = self.connection
        connection.execute("BEGIN")
        try:
            yield connection
        finally:
            connection.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; later use raises ``sqlite3.ProgrammingError``."""
        with self._lock:
            self._closed = True
            open_now, self._open = self._open, []
        for _thread, connection in open_now:
            connection.close()
        self._local = threading.local()

    # ------------------------------------------------------------------ schema versions

    @property
    def version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, too_new: type[YtlocalError]) -> None:
        """Bring the file to the schema's version, one migration per transaction (another process
        migrating at the same moment waits, then finds each step done)."""
        target = self.schema.version
        if self.version == target:
            return
        for number, migration in enumerate(self.schema.migrations, start=1):
            with self.transaction() as connection:
                current = int(connection.execute("PRAGMA user_version").fetchone()[0])
                if current > target:
                    raise too_new(f"the {self.schema.name} at {self.path} was written by a newer ytlocal "
                                  f"(schema version {current}, this one knows {target}); upgrade ytlocal")
                if current < number:
                    if callable(migration):
                        migration(connection)
                    else:
                        for statement in statements(migration):
                            connection.execute(statement)
                    connection.execute(f"PRAGMA user_version = {number}")
