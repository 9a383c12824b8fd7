"""Random transitions by random actors (hypothesis state machine) must keep the invariants:
no closure without a verification by someone who did not handle the case, timestamps never go
backwards, every timeline row is audited, the rollup equals a recount, and a refusal is always an
ApplicationError (never a crash) while a success is always allowed by the workflow table."""

from datetime import timedelta

import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from jiceng.core.errors import ApplicationError
from jiceng.core.models import AuditLog
from jiceng.events import services, workflow
from jiceng.events.choices import CLOSED_STATES, Channel, Rating, WhistleState
from jiceng.events.models import Event, EventTransition, Whistle
from jiceng.events.rollup import rollup_verify
from jiceng.events.services._engine import relations_of
from jiceng.events.units import Unit
from tests.events.conftest import MONDAY_9AM
from tests.events.factories import IN_A1_1, IN_A1_2, IN_B1, IN_C1, PHOTO

PLACES = [IN_A1_1, IN_A1_2, IN_B1, IN_C1]
CATEGORIES = ["SRHJ-LJDF", "SRHJ-ZDJY", "MDJF-LLJF", "JNHJ-DJQZ", "SHZA-KYQK"]
ACTORS = ["alice", "amy", "bob", "carol", "east", "west", "county", "wang", "li", "zhao", "urban", "housing", "police"]
UNITS = ["a", "b", "east", "county", "urban", "housing", "police"]
ACTIONS = ["register", "reject", "dispatch", "redispatch", "escalate", "sign", "return", "rule", "start", "submit",
           "verify", "rate_callback", "rate_token", "reopen", "suspend", "resume", "void", "whistle", "supervise",
           "whistle_report", "join"]
TABLE_ACTION = {"rate_callback": "rate", "rate_token": "rate"}


def make_machine(w):
    def unit(name: str) -> Unit:
        if name in ("urban", "housing", "police"):
            return Unit.of_department(getattr(w, f"d_{name}"))
        return Unit.of_region({"a": w.c.a, "b": w.c.b, "east": w.c.east, "county": w.c.county}[name])

    def do(action: str, actor, ev: Event, data):
        if action == "register":
            services.event_register(actor=actor, event=ev, dispatch=data.draw(st.booleans()))
        elif action == "reject":
            services.event_reject(actor=actor, event=ev, reason="不予立案")
        elif action == "dispatch":
            services.event_dispatch(actor=actor, event=ev,
                                    unit=None if data.draw(st.booleans()) else unit(data.draw(st.sampled_from(UNITS))))
        elif action == "redispatch":
            services.event_redispatch(actor=actor, event=ev, unit=unit(data.draw(st.sampled_from(UNITS))))
        elif action == "escalate":
            services.event_escalate(actor=actor, event=ev, reason="上报")
        elif action == "sign":
            services.event_sign(actor=actor, event=ev)
        elif action == "return":
            services.event_return(actor=actor, event=ev, reason="非本单位职责")
        elif action == "rule":
            services.event_rule(actor=actor, event=ev, unit=unit(data.draw(st.sampled_from(UNITS))))
        elif action == "start":
            services.event_start(actor=actor, event=ev)
        elif action == "submit":
            services.event_submit(actor=actor, event=ev, note="已处置", photos=[PHOTO] if data.draw(st.booleans()) else [])
        elif action == "verify":
            services.event_verify(actor=actor, event=ev, passed=data.draw(st.booleans()), note="核查",
                                  photos=[PHOTO] if data.draw(st.booleans()) else [])
        elif action == "rate_callback":
            services.event_rate_callback(actor=actor, event=ev, rating=data.draw(st.sampled_from(Rating.values)))
        elif action == "rate_token":
            services.event_rate(token=services.rating_token(ev), rating=data.draw(st.sampled_from(Rating.values)))
        elif action == "reopen":
            services.event_reopen(actor=actor, event=ev, reason="重办")
        elif action == "suspend":
            services.event_suspend(actor=actor, event=ev, reason="等待")
        elif action == "resume":
            services.event_resume(actor=actor, event=ev)
        elif action == "void":
            services.event_void(actor=actor, event=ev, reason="作废")
        elif action == "whistle":
            services.whistle_blow(actor=actor, event=ev, departments=[w.d_urban], reason="吹哨")
        elif action == "supervise":
            services.event_supervise(actor=actor, event=ev, note="督办")
        elif action == "whistle_report":
            call = Whistle.objects.filter(event=ev, state=WhistleState.CALLED).order_by("id").first()
            if call is None:
                raise ApplicationError("没有待报到的吹哨")
            services.whistle_report(actor=actor, whistle=call)
        elif action == "join":
            services.event_join(event=ev, phone=f"1390000{data.draw(st.integers(0, 9999)):04d}")
        else:
            raise AssertionError(action)

    class EventMachine(RuleBasedStateMachine):
        cases = Bundle("cases")

        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.traveller = time_machine.travel(MONDAY_9AM, tick=False)
            self.clock = self.traveller.start()

        def teardown(self):
            self.traveller.stop()
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @initialize(target=cases)
        def first_case(self):
            return services.event_create(channel=Channel.RESIDENT, category="SRHJ-LJDF", description="垃圾",
                                         reporter_phone="13800138000", **IN_A1_1).pk

        @rule(target=cases, place=st.sampled_from(PLACES), category=st.sampled_from(CATEGORIES),
              emergency=st.booleans())
        def report(self, place, category, emergency):
            channel = Channel.EMERGENCY if emergency and category.startswith("JNHJ") else Channel.RESIDENT
            return services.event_create(channel=channel, category=category, description="问题",
                                         reporter_phone="13800138000", **place).pk

        @rule(pk=cases, action=st.sampled_from(ACTIONS), who=st.sampled_from(ACTORS), data=st.data())
        def anyone_tries_anything(self, pk, action, who, data):
            self.attempt(pk, action, who, data)

        @rule(pk=cases, steps=st.integers(min_value=1, max_value=8), data=st.data())
        def someone_able_moves_the_case(self, pk, steps, data):
            """Up to ``steps`` actions the state allows, each by an actor with the right relation."""
            for _ in range(steps):
                ev = Event.objects.select_related("grid").get(pk=pk)
                possible = [a for a in ACTIONS if ev.state in workflow.transition(TABLE_ACTION.get(a, a)).sources]
                if data.draw(st.integers(min_value=0, max_value=9)):  # mostly forward
                    possible = [a for a in possible if a not in ("reject", "void", "supervise", "whistle")] or possible
                if not possible:
                    return
                action = data.draw(st.sampled_from(possible))
                if action == "rate_token":
                    self.attempt(pk, action, "alice", data)
                    continue
                needed = workflow.transition(TABLE_ACTION.get(action, action)).relations
                able = [name for name in ACTORS if relations_of(ev, getattr(w, name)) & needed]
                if able:
                    self.attempt(pk, action, data.draw(st.sampled_from(able)), data)

        def attempt(self, pk, action, who, data):
            ev = Event.objects.get(pk=pk)
            before = ev.state
            actor = getattr(w, who)
            try:
                do(action, actor, ev, data)
            except ApplicationError:
                return
            table_action = TABLE_ACTION.get(action, action)
            assert before in workflow.transition(table_action).sources, (action, before)

        @rule(minutes=st.integers(min_value=1, max_value=3 * 24 * 60))
        def time_passes(self, minutes):
            self.clock.shift(timedelta(minutes=minutes))
            services.process_due_timers()

        @invariant()
        def closed_only_after_verification_by_a_non_handler(self):
            for ev in Event.objects.filter(state__in=list(CLOSED_STATES)):
                rows = list(EventTransition.objects.filter(event=ev).order_by("at", "id"))
                closing = [i for i, r in enumerate(rows) if r.to_state == "closed" and r.from_state != "closed"]
                assert closing and rows[closing[-1]].action == "verify"
                verifier = rows[closing[-1]].actor_id
                handlers = {r.actor_id for r in rows[:closing[-1]] if r.action in workflow.HANDLER_ACTIONS}
                assert verifier is not None and verifier not in handlers

        @invariant()
        def timestamps_never_go_backwards(self):
            last: dict[int, object] = {}
            for event_id, at in EventTransition.objects.order_by("id").values_list("event_id", "at"):
                assert last.get(event_id) is None or last[event_id] <= at
                last[event_id] = at
            for ev in Event.objects.all():
                chain = [ev.reported_at, ev.registered_at, ev.first_dispatched_at]
                present = [t for t in chain if t is not None]
                assert present == sorted(present)
                if ev.closed_at is not None:
                    assert ev.handled_at is not None and ev.signed_at <= ev.handled_at <= ev.closed_at

        @invariant()
        def every_timeline_row_is_audited(self):
            rows = list(EventTransition.objects.values_list("audit_id", "action", "event_id"))
            audits = {a.pk: a for a in AuditLog.objects.filter(pk__in=[r[0] for r in rows])}
            for audit_id, action, event_id in rows:
                entry = audits[audit_id]
                assert entry.action == f"event.{action}" and entry.object_id == str(event_id)

        @invariant()
        def rollup_equals_a_recount(self):
            assert rollup_verify() == []

    return EventMachine


def test_random_transitions_keep_the_invariants(world):
    machine = make_machine(world)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=15, stateful_step_count=25, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.filter_too_much]))
