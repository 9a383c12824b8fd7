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


def append_only_sql(table: str, what: str) -> dict[str, tuple[list[str], list[str]]]:
    """Forward and reverse SQL, per database vendor, for triggers that make ``table`` append-only
    (UPDATE and DELETE refused, and TRUNCATE on PostgreSQL) unless maintenance mode is on."""
    message = f"{what} are append-only"
    sqlite = [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
       WHEN jiceng_audit_maintenance() = 0 BEGIN SELECT RAISE(ABORT, '{message}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
       WHEN jiceng_audit_maintenance() = 0 BEGIN SELECT RAISE(ABORT, '{message}'); END;""",
    ]
    sqlite_reverse = [f"DROP TRIGGER IF EXISTS {table}_no_update;", f"DROP TRIGGER IF EXISTS {table}_no_delete;"]
    postgres = [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
       BEGIN
         IF coalesce(current_setting('jiceng.audit_maintenance', true), '') = 'on' THEN
           IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
           RETURN NEW;
         END IF;
         RAISE EXCEPTION '{message}';
       END; $$ LANGUAGE plpgsql;""",
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION {table}_append_only();""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
       FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only();""",
    ]
    postgres_reverse = [
        f"DROP TRIGGER IF EXISTS {table}_no_update ON {table};",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        f"DROP FUNCTION IF EXISTS {table}_append_only();",
    ]
    return {"sqlite": (sqlite, sqlite_reverse), "postgresql": (postgres, postgres_reverse)}


def append_only_operation(table: str, what: str):
    """A migration operation installing the append-only triggers on ``table``."""
    from django.db import migrations

    sql = append_only_sql(table, what)

    def forward(apps, schema_editor):
        for statement in sql.get(schema_editor.connection.vendor, ([], []))[0]:
            schema_editor.execute(statement)

    def reverse(apps, schema_editor):
        for statement in sql.get(schema_editor.connection.vendor, ([], []))[1]:
            schema_editor.execute(statement)

    return migrations.RunPython(forward, reverse)
