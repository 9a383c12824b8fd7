"""Every non-trivial read of grid events, narrowed to what the actor may see; the command centre's
numbers (docs/events.md)."""

from .breakdowns import Row, event_numbers_by
from .cases import (
    WHISTLE_KINDS,
    WhistleRow,
    category_options,
    event_actions,
    event_actions_many,
    event_check,
    event_filter,
    event_get,
    event_timeline,
    event_timers,
    event_visible,
    latest_feedback,
    merge_candidates,
    overdue_open,
    response_templates,
    whistle_departments,
    whistle_list,
    whistle_pending,
    whistle_stats,
    whistle_visible,
    whistles_in,
)
from .definitions import DEFINITIONS, NUMBER_ROLES, Number, day_bounds, numbers_check, own_nodes, period_range
from .numbers import event_counters, event_numbers, event_numbers_for_period, event_numbers_from_records

__all__ = [
    "DEFINITIONS", "NUMBER_ROLES", "Number", "Row", "WhistleRow", "category_options", "day_bounds", "event_actions", "event_actions_many", "event_check", "event_counters", "event_filter",
    "event_get", "event_numbers", "event_numbers_by", "event_numbers_for_period", "event_numbers_from_records", "numbers_check", "own_nodes",
    "event_timeline", "event_timers", "event_visible", "latest_feedback", "merge_candidates", "overdue_open", "period_range", "response_templates",
    "WHISTLE_KINDS", "whistle_departments", "whistle_list", "whistle_pending", "whistle_stats", "whistle_visible", "whistles_in",
]
