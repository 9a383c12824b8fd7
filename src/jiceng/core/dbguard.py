"""The switch the audit log's append-only triggers consult.

The triggers refuse UPDATE/DELETE (and TRUNCATE on PostgreSQL) unless maintenance mode is on
for that connection: on PostgreSQL the session setting ``jiceng.audit_maintenance = 'on'``; on
SQLite the SQL function ``jiceng_audit_maintenance()``, which exists only in Jiceng's own
connections (any other client, e.g. the sqlite3 shell, fails the trigger outright). Only the test
suite turns maintenance on, so that Django can empty tables between transactional tests.
"""

from __future__ import annotations

MAINTENANCE = {"on": False}


def register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "jiceng_audit_maintenance", 0, lambda: 1 if MAINTENANCE["on"] else 0
        )
    elif connection.vendor == "postgresql" and MAINTENANCE["on"]:
        with connection.cursor() as cur:
            cur.execute("SET jiceng.audit_maintenance = 'on'")
