"""Grid events (网格事件): categories with their standard procedure, cases, their timeline,
supporters, whistles (吹哨报到), supervision, stage timers, the working calendar and the rollup
behind the command centre's numbers.

The tables live in the modules below, imported here in the order they were defined in (which is
the order Django registers them); import them from ``jiceng.events.models``.

- ``catalogue``: ``EventCategory``, ``ResponseTemplate``, ``CalendarDay``
- ``cases``: ``Event``, ``EventTransition``, ``EventSupporter``, ``EventRating``
- ``whistles``: ``Whistle``, ``Supervision``
- ``timers``: ``Timer``
- ``rollups``: ``RollupCounters`` (abstract), ``EventRollup``, ``EventRollupMonth``
"""

# In the order the tables were defined in: a sorted import would register the rollups before the
# whistles and the timers.
# isort: off
from .catalogue import CalendarDay, EventCategory, ResponseTemplate, category_code_validator
from .cases import Event, EventRating, EventSupporter, EventTransition
from .whistles import Supervision, Whistle
from .timers import Timer
from .rollups import EventRollup, EventRollupMonth, RollupCounters
# isort: on

__all__ = [
    "CalendarDay", "Event", "EventCategory", "EventRating", "EventRollup", "EventRollupMonth", "EventSupporter",
    "EventTransition", "ResponseTemplate", "RollupCounters", "Supervision", "Timer", "Whistle",
    "category_code_validator",
]
