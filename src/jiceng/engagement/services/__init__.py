"""Every write in engagement. Keyword-only, explicit actor (a staff ``User`` or a ``Resident`` acting for
themselves, ``None`` for scheduled jobs), one transaction, an audit record, ApplicationError on bad input."""

from .points import (
    account_for,
    point_rule_create,
    point_rule_set_active,
    points_award,
    points_award_for_source,
    points_correct,
    points_expire,
    unspent_credits,
)
from .shop import (
    redemption_cancel,
    redemption_collect,
    redemption_create,
    shop_create,
    shop_item_create,
    shop_item_restock,
)
from .volunteering import (
    activity_checkin_token,
    activity_create,
    registration_create,
    signup_cancel,
    signup_check_in,
    signup_check_out,
    signup_create,
    team_create,
)
from .wishes import (
    wish_claim,
    wish_claim_withdraw,
    wish_claims_lapse,
    wish_fulfil,
    wish_post,
    wish_review,
    wish_thank,
)

__all__ = [
    "account_for",
    "activity_checkin_token",
    "activity_create",
    "point_rule_create",
    "point_rule_set_active",
    "points_award",
    "points_award_for_source",
    "points_correct",
    "points_expire",
    "redemption_cancel",
    "redemption_collect",
    "redemption_create",
    "registration_create",
    "shop_create",
    "shop_item_create",
    "shop_item_restock",
    "signup_cancel",
    "signup_check_in",
    "signup_check_out",
    "signup_create",
    "team_create",
    "unspent_credits",
    "wish_claim",
    "wish_claim_withdraw",
    "wish_claims_lapse",
    "wish_fulfil",
    "wish_post",
    "wish_review",
    "wish_thank",
]
