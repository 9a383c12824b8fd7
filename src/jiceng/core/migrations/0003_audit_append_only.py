"""Database triggers that refuse UPDATE and DELETE (and TRUNCATE) on the audit log, whatever the
client, unless the maintenance switch is on (see jiceng.core.dbguard)."""

from django.db import migrations

from jiceng.core.dbguard import append_only_operation


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [append_only_operation("core_auditlog", "audit records")]
