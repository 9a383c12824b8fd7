"""A small hand-counted fixture for the command centre's numbers (March 2025, 甲社区), shared by
the selector, page and API tests.

    E0  registered Fri 28 Feb, closed Mon 3 Mar 09:30 (deadline Tue 4 Mar 11:00)       Feb cohort
    E1  registered Mon 3 Mar 09:00, closed Tue 10:00 (deadline Wed 11:00), 满意          on time
    E2  closed Thu 6 Mar 10:00 (deadline Wed 11:00: overdue), 基本满意 (回访)            late
    E3  closed Tue, rated 不满意 → 重办; closed again Wed 10:00, rated 满意               on time
    E4  suspended Mon 10:00 → Tue 10:00 (7 working hours): deadline Thu 11:00, closed Thu 10:30  on time
    E5  still 处置中, overdue since Wed 11:00
    E6  (邻里纠纷, grid A1-2) returned once by 城管, handled by 甲, closed Tue, 不满意 (recorded)  on time
    E7  不予立案 (never counts)

March cohort: 立案 6; 结案 5 (E5 open) → 结案率 5/6; 按期 4 (E2 late) → 4/5;
评价 4 (E1 满意, E2 基本满意, E3 满意 latest, E6 不满意) → 满意率 3/4; 退单 1 of 6 派遣;
重办 1; 挂起 1; 超期 2 (E2, E5); 应结案 7 (E0's closure falls on 3 Mar too); 期内结案 6 (E0–E4, E6).
Average 上报→结案 of the cohort: (25 + 73 + 49 + 73.5 + 25) / 5 = 49.1 h.
"""

from datetime import date

import pytest

from jiceng.events import services
from jiceng.events.choices import Rating
from jiceng.events.units import Unit
from tests.events.conftest import at
from tests.events.factories import IN_A1_2, PHOTO, report

MARCH = (date(2025, 3, 1), date(2025, 4, 1))  # the question's [start, end)


@pytest.fixture
def march(world, clock):
    w = world
    done = {"photos": [PHOTO]}

    def handle(ev, *, handler=w.alice):
        services.event_sign(actor=handler, event=ev)
        services.event_start(actor=handler, event=ev)

    def close(ev, *, verifier=w.wang):
        services.event_submit(actor=w.alice, event=ev, note="已处置", **done)
        services.event_verify(actor=verifier, event=ev)

    clock.move_to(at(2025, 2, 28, 9, 0))
    e0 = report(w)
    services.event_register(actor=w.alice, event=e0, dispatch=True)
    handle(e0)
    clock.move_to(at(2025, 3, 3, 9, 0))
    cases = [report(w) for _ in range(5)]
    e6 = report(w, category="MDJF-LLJF", where=IN_A1_2)
    e7 = report(w)
    services.event_reject(actor=w.alice, event=e7, reason="不属于受理范围")
    for ev in cases:
        services.event_register(actor=w.alice, event=ev, dispatch=True)
        handle(ev)
    e1, e2, e3, e4, e5 = cases
    services.event_register(actor=w.alice, event=e6)
    services.event_dispatch(actor=w.alice, event=e6, unit=Unit.of_department(w.d_urban))
    services.event_return(actor=w.urban, event=e6, reason="邻里纠纷不归城管")
    services.event_dispatch(actor=w.alice, event=e6)
    handle(e6)

    clock.move_to(at(2025, 3, 3, 9, 30))
    close(e0)
    clock.move_to(at(2025, 3, 3, 10, 0))
    services.event_suspend(actor=w.alice, event=e4, reason="等待业主")
    clock.move_to(at(2025, 3, 4, 10, 0))
    services.event_resume(actor=w.alice, event=e4)
    close(e1)
    services.event_rate(token=services.rating_token(e1), rating=Rating.SATISFIED)
    close(e3)
    services.event_rate(token=services.rating_token(e3), rating=Rating.UNSATISFIED, comment="没扫干净")
    e3.refresh_from_db()
    close(e6, verifier=w.amy)
    services.event_rate_callback(actor=w.county, event=e6, rating=Rating.UNSATISFIED)
    clock.move_to(at(2025, 3, 5, 10, 0))
    close(e3)
    services.event_rate(token=services.rating_token(e3), rating=Rating.SATISFIED)
    clock.move_to(at(2025, 3, 5, 11, 0))
    assert services.process_due_timers()["fired"] == 2  # E2 and E5
    clock.move_to(at(2025, 3, 6, 10, 0))
    close(e2)
    services.event_rate_callback(actor=w.county, event=e2, rating=Rating.BASIC)
    clock.move_to(at(2025, 3, 6, 10, 30))
    close(e4)
    return {"E0": e0, "E1": e1, "E2": e2, "E3": e3, "E4": e4, "E5": e5, "E6": e6, "E7": e7}
