"""The engagement demo: plausible volumes that keep every rule the services keep."""

from __future__ import annotations

import pytest
from django.db.models import Count, Q, Sum
from django.urls import reverse

from jiceng.demo.loader import demo_load
from jiceng.engagement.choices import WishStatus
from jiceng.engagement.demo import RESIDENT_USERNAME
from jiceng.engagement.models import PointAccount, Redemption, ShopItem, Signup, Wish, WishClaim
from jiceng.engagement.selectors import points_ledger_mismatches
from jiceng.engagement.services import unspent_credits


@pytest.fixture
def demo(db, settings, tmp_path):
    """The demo county; its loader runs generate_demo_engagement (the 微心愿、积分与志愿 step)."""
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo's evidence photos are stored like uploads
    result = demo_load(scale=0.1, seed=7)
    return next(c for c in result.credentials if c.username == RESIDENT_USERNAME)


def test_ledgers_sum_to_balances_and_nothing_is_negative(demo):
    assert PointAccount.objects.count() > 0
    assert points_ledger_mismatches() == []
    assert not PointAccount.objects.filter(balance__lt=0).exists()
    assert not ShopItem.objects.filter(stock__lt=0).exists()
    for account in PointAccount.objects.order_by("?")[:20]:
        assert sum(left for _, left in unspent_credits(account)) == account.balance


def test_wishes_in_every_state_with_one_live_claim_each(demo):
    states = set(Wish.objects.values_list("status", flat=True))
    assert states == set(WishStatus.values)
    live = WishClaim.objects.filter(status__in=("active", "fulfilled")).values("wish").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in live)
    assert not Wish.objects.filter(status__in=("claimed", "fulfilled", "thanked"), claims__isnull=True).exists()


def test_signups_stay_within_capacity_and_served_ones_have_points(demo):
    over = Signup.objects.filter(status="signed_up").values("activity", "activity__capacity").annotate(n=Count("id"))
    assert all(row["n"] <= row["activity__capacity"] for row in over)
    served = Signup.objects.filter(checked_out_at__isnull=False, minutes__gt=0, registration__resident__isnull=False)
    assert served.exists() and not served.filter(points_entry__isnull=True).exists()
    assert Redemption.objects.exists()
    assert Redemption.objects.aggregate(p=Sum("points"))["p"] > 0


def test_the_resident_login_works(demo, client):
    assert demo.username == RESIDENT_USERNAME
    assert client.login(username=RESIDENT_USERNAME, password=demo.password)
    page = client.get(reverse("engagement-me"))
    assert page.status_code == 200 and "积分余额" in page.content.decode()
    assert client.get(reverse("engagement-me-activities")).status_code == 200


def test_what_community_workers_record_falls_in_office_hours(demo):
    """Points awarded or deducted by hand, and shop redemptions, at a time of the working day —
    not at two in the morning (only a moment later than now could not be moved)."""
    from datetime import time, timedelta

    from django.utils import timezone

    from jiceng.engagement.choices import EntryKind
    from jiceng.engagement.demo import MANUAL_AWARDS
    from jiceng.engagement.models import PointEntry

    manual = [code for code, *_ in MANUAL_AWARDS]
    day_ago = timezone.now() - timedelta(days=1)
    entries = list(PointEntry.objects.filter(created_at__lt=day_ago).filter(
        Q(kind=EntryKind.AWARD, rule__code__in=manual) | Q(kind__in=[EntryKind.DEDUCT, EntryKind.REDEEM])))
    assert len(entries) > 50
    outside = [e for e in entries if not time(8, 30) <= timezone.localtime(e.created_at).time() <= time(17, 30)]
    assert outside == []


def test_moving_a_moment_into_office_hours_never_lands_after_closing():
    """The last minute drawn used to be 17:30 itself, keeping the moment's seconds: 17:30:27."""
    import random
    from datetime import time, timedelta

    from django.utils import timezone

    from jiceng.engagement.demo import _Generator

    generator = _Generator(None, random.Random(7), 1.0)
    for i in range(3000):
        t = generator.now - timedelta(days=2, seconds=i * 997)
        moved = timezone.localtime(generator.in_office(t))
        assert time(8, 30) <= moved.time() <= time(17, 30) and moved.date() == timezone.localtime(t).date(), (t, moved)


def test_evidence_is_words_or_a_stored_photo_never_a_path_to_nothing(demo, client):
    """The demo used to write demo/evidence/42728-mediate.jpg, a file that does not exist, shown as is in
    the ledger. Now a rule's evidence is what a worker writes, or a photo stored as an attachment of the
    account (as the award form stores one) that the account's staff can open."""
    from jiceng.core.models import Attachment
    from jiceng.core.uploads import attachment_read
    from jiceng.engagement.demo import EVIDENCE
    from jiceng.engagement.models import PointEntry

    manual = PointEntry.objects.filter(rule__requires_evidence=True, source_type="").select_related("account")
    assert manual.count() > 50 and not manual.filter(evidence="").exists()
    assert not PointEntry.objects.filter(evidence__contains="/").exists()
    photos = [e for e in manual if e.evidence.startswith("attachment:")]
    assert photos and len(photos) < manual.count()
    assert {e.evidence for e in manual if e not in photos} <= set(EVIDENCE.values())
    for entry in photos:
        attachment = Attachment.objects.get(pk=entry.evidence_parts[1])
        assert (attachment.owner_type, attachment.owner_id, attachment.purpose) == (
            "engagement.pointaccount", str(entry.account_id), "points_evidence")
        assert attachment_read(attachment)[:2] == b"\xff\xd8"  # a JPEG, on disk
    # the resident login's own charter awards carry a photo, which the community's staff open from the ledger
    account = PointAccount.objects.get(resident__account__username=RESIDENT_USERNAME)
    mine = [e for e in photos if e.account_id == account.pk]
    assert mine
    from jiceng.people.models import User

    staff = User.objects.get(username="community")
    client.force_login(staff)
    page = client.get(reverse("engagement-staff-account", args=[account.pk])).content.decode()
    url = reverse("attachment", args=[mine[0].evidence_parts[1]])
    assert f'href="{url}"' in page and "demo/evidence" not in page
    assert client.get(url).status_code == 200
