"""Test helpers for sessions under the account-security rules.

``force_login`` gives a session whose second factor is still to pass; the three admin roles then
reach only the 2FA pages. ``login_verified`` is ``force_login`` plus a confirmed authenticator and a
session marked as having passed it — the state a real admin reaches after typing a code.
"""

from __future__ import annotations

from jiceng.accounts import sessionstate as ss
from jiceng.accounts import totp
from jiceng.accounts.models import TotpDevice


def pass_second_factor(client, user):
    """Give ``user`` a confirmed authenticator (if missing) and mark the client's session as passed."""
    from django.utils import timezone

    TotpDevice.objects.get_or_create(user=user, defaults={"secret": totp.new_secret(),
                                                          "confirmed_at": timezone.now()})
    session = client.session
    session[ss.SECOND_FACTOR] = ss.PASSED
    session.save()
    return client


def login_verified(client, user):
    client.force_login(user)
    return pass_second_factor(client, user)
