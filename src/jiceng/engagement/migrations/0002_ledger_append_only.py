"""Database triggers that refuse UPDATE and DELETE on the points ledger, whatever the client.

They consult the same maintenance switch as the audit log's (jiceng.core.dbguard), which only the
test suite turns on so that Django can empty tables between transactional tests.
"""

from django.db import migrations

from jiceng.core.dbguard import append_only_operation


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial"), ("core", "0003_audit_append_only")]

    operations = [append_only_operation("engagement_pointentry", "point entries")]
