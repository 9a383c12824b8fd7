"""Every write to assessment. Keyword-only, explicit actor, one transaction, an audit record,
ApplicationError (with ``field``) on bad input and nothing changed."""

from .appeals import appeal_file, appeal_reply, assignment_rerate_cancel, assignment_rerate_request
from .background import computation_latest, computation_run, computation_shown, period_busy
from .periods import (
    adjustment_record,
    adjustment_withdraw,
    assignment_create,
    correctable_subject_ids,
    peer_assignments_create,
    period_close_scoring,
    period_create,
    period_open_refusal,
    period_open_scoring,
    period_subject_add,
    rating_refusal,
    rating_save,
)
from .results import (
    period_compute,
    period_compute_refusal,
    period_publish,
    period_recompute,
    period_republish,
    period_republish_refusal,
    period_start_rereview,
)
from .rollover import (
    NextPeriod,
    current_dates,
    default_label,
    first_free_dates,
    next_dates,
    next_round,
    period_next,
    period_start,
)
from .roster import (
    BulkAdd,
    assignment_remove,
    period_delete,
    period_delete_refusal,
    period_subject_remove,
    period_subjects_add_bulk,
)
from .schemes import scheme_create, scheme_version_create, scheme_version_update
from .transitions import ACTIONS, Transitioned, period_transition

__all__ = [
    "NextPeriod", "current_dates", "default_label", "first_free_dates", "next_dates", "next_round", "period_next", "period_start",
    "BulkAdd", "assignment_remove", "period_delete", "period_delete_refusal", "period_subject_remove",
    "period_subjects_add_bulk",
    "appeal_reply", "assignment_rerate_cancel", "assignment_rerate_request",
    "adjustment_record", "adjustment_withdraw", "appeal_file", "assignment_create", "peer_assignments_create", "period_close_scoring",
    "period_compute", "period_compute_refusal", "period_create", "period_open_scoring", "period_publish", "period_recompute",
    "period_republish", "period_republish_refusal", "period_start_rereview", "period_subject_add", "rating_save", "scheme_create",
    "scheme_version_create", "scheme_version_update",
    "correctable_subject_ids", "period_open_refusal", "rating_refusal",
    "ACTIONS", "Transitioned", "period_transition",
    "computation_latest", "computation_run", "computation_shown", "period_busy",
]
