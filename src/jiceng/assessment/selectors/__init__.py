"""Reads, narrowed to what the actor may see. Results never carry a rater's identity to the
subject; anonymous groups (民主测评, 互评) never carry it to anyone.

By subject: ``schemes``, ``periods`` (and their 加分/减分 entries), ``rating`` (rater tasks and score
sheets), ``results`` (one result, its explanation and versions), ``rankings``, ``appeals``, ``setup``
(setting up a round) and ``publishing`` (what 公布 and 复核后公布 will publish)."""

from .appeals import appeal_get, subject_appeals, subject_rerates
from .periods import (
    adjustment_items,
    managed_period,
    period_adjustments,
    period_contents,
    period_get,
    period_list,
    period_republished_on,
    published_periods,
)
from .publishing import PREVIEW_TOP, period_publish_preview, period_republish_preview
from .rankings import cumulative_ranking, own_results, period_flags, period_ranking
from .rating import (
    assignment_get,
    period_missing_sheets,
    period_open_summary,
    rater_assignments,
    rater_done,
    rater_scored_groups,
    rater_tasks,
    rater_todo,
    unrated_groups,
)
from .results import (
    ADJUSTED,
    RANK_ONLY,
    config_bands,
    period_has_published,
    period_results,
    result_explain,
    result_get,
    result_history,
    review_changes,
    version_change,
)
from .schemes import scheme_get, scheme_list, scheme_rows, scheme_version_definition
from .setup import (
    SETUP_LEVELS,
    period_rater_rows,
    period_subject_rows,
    rater_candidates,
    setup_regions,
    subject_candidates,
)

__all__ = [
    "ADJUSTED", "PREVIEW_TOP", "RANK_ONLY", "SETUP_LEVELS", "adjustment_items", "appeal_get", "assignment_get",
    "config_bands", "cumulative_ranking", "managed_period", "own_results", "period_adjustments",
    "period_contents", "period_flags", "period_get", "period_has_published", "period_list",
    "period_missing_sheets", "period_open_summary", "period_publish_preview", "period_ranking",
    "period_rater_rows", "period_republish_preview", "period_republished_on", "period_results",
    "period_subject_rows", "published_periods", "rater_assignments", "rater_candidates", "rater_done",
    "rater_scored_groups", "rater_tasks", "rater_todo", "result_explain", "result_get", "result_history",
    "review_changes", "scheme_get", "scheme_list", "scheme_rows", "scheme_version_definition", "setup_regions",
    "subject_appeals", "subject_candidates", "subject_rerates", "unrated_groups", "version_change",
]
