"""The admins' work outside the pages: the audit admin's export of the audit log, and a new
installation's first three admin accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.audit import audit_record
from jiceng.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from jiceng.core.scope import is_active_account
from jiceng.people.choices import Role

from ..models import AccountSecurity

# --- audit log export -----------------------------------------------------------------------------



def audit_log_export(*, actor, since, until, output) -> int:
    """Write the audit records of local dates ``since``..``until`` (inclusive) to an .xlsx file for the
    audit admin (安全审计员): the columns of the back office's CSV export (each code beside its name),
    with each record's hashes and hashed text so the file can be checked against the chain. The
    export itself is audited. Returns the number of records written."""
    from pathlib import Path

    from jiceng.core import audit_review
    from jiceng.core.excel import Column, build_workbook
    from jiceng.core.models import AuditLog

    if not is_active_account(actor) or actor.role != Role.AUDIT_ADMIN:
        raise PermissionDeniedError(_("只有安全审计员可以导出审计记录。"))
    if until < since:
        raise ApplicationError(_("结束日期不能早于开始日期。"), field="until")
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    columns = [Column(key=f"c{i}", header=h, width=w, text=h in audit_review.TEXT_COLUMNS)
               for i, (h, w) in enumerate(zip(audit_review.CSV_COLUMNS, audit_review.EXPORT_WIDTHS, strict=True))]
    records = AuditLog.objects.filter(at__gte=start, at__lt=end)
    rows = (audit_review.export_row(e) for batch in audit_review.export_records(records) for e in batch)
    content, count = build_workbook(columns, rows, sheet_title="审计记录")
    Path(output).write_bytes(content)
    with transaction.atomic():
        audit_record(actor=actor, action="audit.export", object_type="audit", object_repr=str(output)[:200],
                     changes={"since": since, "until": until, "rows": count})
    return count


# --- first admin accounts -------------------------------------------------------------------------

FIRST_LOGIN_EXPIRED = datetime(2000, 1, 1, tzinfo=UTC)


@transaction.atomic
def admins_bootstrap(*, system_admin: str, security_admin: str, audit_admin: str) -> dict[str, str]:
    """A new installation's three admin accounts (三员分立), each with a random one-time password that
    must be changed at first login, and a second factor to enrol then. Refused once any admin
    account exists: after that, accounts are opened by the system admin and roles granted by the
    security admin (people.services). Run by the operator at the server (actor "system")."""
    from jiceng.people.choices import ADMIN_ROLES
    from jiceng.people.models import User

    from ..passwords import one_time_password

    if User.objects.filter(role__in=ADMIN_ROLES).exists():
        raise ConflictError(_("已有管理员账号：初始化只能执行一次。"))
    names = {system_admin: Role.SYSTEM_ADMIN, security_admin: Role.SECURITY_ADMIN, audit_admin: Role.AUDIT_ADMIN}
    if len(names) != 3:
        raise ApplicationError(_("三个管理员须是三个不同的账号（三员分立）。"))
    passwords = {}
    for username, role in names.items():
        if User.objects.filter(username=username).exists():
            raise ApplicationError(_("用户名 %(username)s 已存在。") % {"username": username}, field="username")
        user = User(username=username, role=role, is_staff=True)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field="username") from exc
        password = one_time_password()
        user.set_password(password)
        user.save()
        AccountSecurity.objects.create(user=user, password_changed_at=FIRST_LOGIN_EXPIRED)
        audit_record(actor=None, action="user.create", obj=user,
                     changes={"username": [None, username], "role": [None, role], "source": "bootstrap"})
        passwords[username] = password
    return passwords
