"""What the benchmarks share on PostgreSQL: their own database, dropped and created through the
server's maintenance database, and COPY of plain rows."""

from __future__ import annotations

import io
from urllib.parse import urlsplit, urlunsplit


def split_url(url: str) -> tuple[str, str]:
    """The maintenance database's URL (``postgres`` on the same server, same options — a Unix socket
    given as ``?host=/var/run/postgresql`` included) and the benchmark database's name."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"unexpected database name in {url!r}")
    return urlunsplit(parts._replace(path="/postgres")), name


def drop_create(url: str, *, create: bool) -> None:
    """Drop the benchmark's database (use a dedicated name) and, with ``create``, make it afresh."""
    import psycopg

    admin, name = split_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    """COPY rows into ``table`` (None as NULL; tabs and newlines inside a value become spaces)."""

    def cell(v) -> str:
        if v is None:
            return r"\N"
        return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(cell(v) for v in row))
        buf.write("\n")
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buf.getvalue())
