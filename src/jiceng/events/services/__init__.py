"""Every write to grid events. Keyword-only, explicit actor, one transaction, a timeline row and
an audit record per change, ApplicationError on bad input (docs/events.md)."""

from .catalogue import calendar_day_set, category_create, category_update
from .flow import (
    event_dispatch,
    event_escalate,
    event_rate,
    event_rate_callback,
    event_redispatch,
    event_register,
    event_reject,
    event_reopen,
    event_resume,
    event_return,
    event_rule,
    event_sign,
    event_start,
    event_submit,
    event_suspend,
    event_verify,
    event_void,
    rating_token,
)
from .intake import Duplicate, event_create, event_find_duplicates, event_join, event_merge
from .timers import process_due_timers
from .whistle import event_supervise, whistle_blow, whistle_feedback, whistle_report

__all__ = [
    "Duplicate", "calendar_day_set", "category_create", "category_update", "event_create", "event_dispatch", "event_escalate",
    "event_find_duplicates", "event_join", "event_merge", "event_rate", "event_rate_callback", "event_redispatch",
    "event_register", "event_reject", "event_reopen", "event_resume", "event_return", "event_rule", "event_sign",
    "event_start", "event_submit", "event_supervise", "event_suspend", "event_verify", "event_void",
    "process_due_timers", "rating_token", "whistle_blow", "whistle_feedback", "whistle_report",
]
