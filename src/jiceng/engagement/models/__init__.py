"""Engagement: points (积分制) with an append-only ledger, points shops (积分超市), micro-wishes (微心愿),
volunteering and 双报到.

Each table is scoped through its community (``scope_path_lookup``); the tables that name residents are
personal (``scope_personal = True``).

The tables live in the modules below, imported here in the order they were defined in (which is
the order Django registers them); import them from ``jiceng.engagement.models``.

- ``base``: ``ActorFields`` (abstract: who did it)
- ``points``: ``PointRule``, ``PointAccount``, ``PointEntry`` (and its ``PointEntryQuerySet``)
- ``shops``: ``Shop``, ``ShopItem``, ``Redemption``
- ``volunteering``: ``VolunteerTeam``, ``Registration``, ``Activity``, ``Signup``
- ``wishes``: ``Wish``, ``WishClaim``
"""

from .base import ActorFields
from .points import PointAccount, PointEntry, PointEntryQuerySet, PointRule
from .shops import Redemption, Shop, ShopItem
from .volunteering import Activity, Registration, Signup, VolunteerTeam
from .wishes import Wish, WishClaim

__all__ = [
    "Activity", "ActorFields", "PointAccount", "PointEntry", "PointEntryQuerySet", "PointRule", "Redemption",
    "Registration", "Shop", "ShopItem", "Signup", "VolunteerTeam", "Wish", "WishClaim",
]
