"""Who may open the staff pages.

A resident's account logs in for its own pages (积分、微心愿、志愿: ``/engagement/me/``) and uses
the public case pages (反映问题、查询进度、评价), which need no login. The staff pages — the
command-centre console, cases, numbers, people, regions — would show a resident nothing but empty
tiles and lists (every selector scopes them out), so they refuse the account outright: 403, with
the way to the resident's own pages.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from jiceng.people.choices import Role


def staff_required(view):
    """``login_required``, then a resident's account is refused (403)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.role == Role.RESIDENT:
            raise PermissionDenied(_("这是工作人员使用的页面。"))
        return view(request, *args, **kwargs)

    return login_required(wrapped)
