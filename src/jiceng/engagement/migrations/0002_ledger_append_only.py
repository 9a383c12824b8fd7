"""Database triggers that refuse UPDATE and DELETE on the points ledger, whatever the client.

They consult the same maintenance switch as the audit log's (jiceng.core.dbguard), which only the test
suite turns on so that Django can empty tables between transactional tests.
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS engagement_pointentry_no_update BEFORE UPDATE ON engagement_pointentry
       WHEN jiceng_audit_maintenance() = 0 BEGIN SELECT RAISE(ABORT, 'point entries are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS engagement_pointentry_no_delete BEFORE DELETE ON engagement_pointentry
       WHEN jiceng_audit_maintenance() = 0 BEGIN SELECT RAISE(ABORT, 'point entries are append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS engagement_pointentry_no_update;",
    "DROP TRIGGER IF EXISTS engagement_pointentry_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION engagement_pointentry_append_only() RETURNS trigger AS $$
       BEGIN
         IF coalesce(current_setting('jiceng.audit_maintenance', true), '') = 'on' THEN
           IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'point entries are append-only';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER engagement_pointentry_no_update BEFORE UPDATE OR DELETE ON engagement_pointentry
       FOR EACH ROW EXECUTE FUNCTION engagement_pointentry_append_only();""",
    """CREATE TRIGGER engagement_pointentry_no_truncate BEFORE TRUNCATE ON engagement_pointentry
       FOR EACH STATEMENT EXECUTE FUNCTION engagement_pointentry_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS engagement_pointentry_no_update ON engagement_pointentry;",
    "DROP TRIGGER IF EXISTS engagement_pointentry_no_truncate ON engagement_pointentry;",
    "DROP FUNCTION IF EXISTS engagement_pointentry_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial"), ("core", "0003_audit_append_only")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
