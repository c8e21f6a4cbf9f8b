"""Scans applied in groups (gateway/grouping.py): the queue's rules with a
stand-in database, then real groups on PostgreSQL, every scan of a group
answered as a lone scan would be."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pytest

from gateway import db, grouping, live
from gateway import scan as rules
from gateway.scan import Principal
from registrants.models import StatusChange
from registrants.sql.plans import sql_plan
from registrants.sql.scans import pg_group_sql
from registrants.tests.factories import EventFactory, make_registrant
from registrants.tests.invariants import history_violations

NOW = dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.UTC)


def pending(code: str, mode: str = "desk") -> grouping.Pending:
    return grouping.Pending(code, mode, Principal(user_id=1, name="sam"), NOW)


class Recorder:
    """A stand-in for the database: records each group; answers each scan
    with an Outcome naming its code; can be told to fail a group."""

    def __init__(self, fail_when: str | None = None) -> None:
        self.groups: list[list[str]] = []
        self.in_flight = self.most_in_flight = 0
        self.fail_when = fail_when

    async def apply(self, scans: list[grouping.Pending]) -> list[rules.Outcome]:
        self.groups.append([s.code for s in scans])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if self.fail_when in {s.code for s in scans}:
                raise RuntimeError("database went away")
            return [rules.Outcome("not_found", mode=s.code) for s in scans]
        finally:
            self.in_flight -= 1


def run_queue(codes: list[str], *, in_flight: int = 1, max_group: int = 64, fail_when=None):
    recorder = Recorder(fail_when)

    async def main():
        groups = grouping.ScanGroups(
            recorder.apply, max_in_flight=in_flight, max_group=max_group, track=lambda t: None
        )
        return await asyncio.gather(
            *(groups.apply(pending(c)) for c in codes), return_exceptions=True
        )

    return recorder, asyncio.run(main())


def test_a_lone_scan_is_sent_at_once_and_the_waiting_ones_together():
    recorder, answers = run_queue([f"c{i}" for i in range(10)])
    assert recorder.groups[0] == ["c0"]
    assert recorder.groups[1] == [f"c{i}" for i in range(1, 10)]
    assert [a.mode for a in answers] == [f"c{i}" for i in range(10)]


def test_a_code_appears_once_per_group_and_its_second_scan_waits_for_the_next():
    recorder, answers = run_queue(["first", "a", "b", "a", "c", "a"])
    assert recorder.groups == [["first"], ["a", "b", "c"], ["a"], ["a"]]
    assert [a.mode for a in answers] == ["first", "a", "b", "a", "c", "a"]


def test_groups_in_flight_and_group_size_are_bounded():
    recorder, answers = run_queue([f"c{i}" for i in range(40)], in_flight=2, max_group=8)
    assert recorder.most_in_flight == 2
    assert max(len(g) for g in recorder.groups) == 8
    assert sorted(c for g in recorder.groups for c in g) == sorted(f"c{i}" for i in range(40))
    assert all(isinstance(a, rules.Outcome) for a in answers)


def test_a_failed_group_fails_its_scans_only_and_the_queue_goes_on():
    codes = ["first", "x", "bad", "y"] + [f"later{i}" for i in range(3)]

    async def main():
        recorder = Recorder(fail_when="bad")
        groups = grouping.ScanGroups(
            recorder.apply, max_in_flight=1, max_group=3, track=lambda t: None
        )
        return recorder, await asyncio.gather(
            *(groups.apply(pending(c)) for c in codes), return_exceptions=True
        )

    recorder, answers = asyncio.run(main())
    failed = [c for c, a in zip(codes, answers, strict=True) if isinstance(a, Exception)]
    assert recorder.groups[1] == ["x", "bad", "y"]
    assert failed == ["x", "bad", "y"]
    assert [a.mode for c, a in zip(codes, answers, strict=True) if c.startswith("later")] == [
        "later0",
        "later1",
        "later2",
    ]


def test_the_next_group_is_sent_before_the_finished_groups_callers_resume():
    """A finished group's callers write their answers only after the next
    group has gone to the database: the database is not left idle while
    this process answers (a millisecond per group at door rate)."""
    events: list[str] = []

    async def apply(scans: list[grouping.Pending]) -> list[rules.Outcome]:
        events.append("sent " + ",".join(s.code for s in scans))
        await asyncio.sleep(0.01)
        return [rules.Outcome("not_found", mode=s.code) for s in scans]

    async def main():
        groups = grouping.ScanGroups(apply, max_in_flight=1, max_group=64, track=lambda t: None)

        async def scan(code: str) -> None:
            await groups.apply(pending(code))
            events.append("answered " + code)

        await asyncio.gather(*(scan(c) for c in ["a", "b", "c"]))

    asyncio.run(main())
    assert events == ["sent a", "sent b,c", "answered a", "answered b", "answered c"]


def test_the_group_statement_carries_every_modes_plan_from_the_lifecycle():
    sql = pg_group_sql()
    for mode in rules.MODES:
        plan = sql_plan(mode)
        accepted = ", ".join(f"'{s}'" for s in plan["from_statuses"])
        assert f"WHEN '{mode}' THEN ARRAY[{accepted}]::text[]" in sql
        for frm, no, step_from, step_to, final in zip(
            plan["p_from"],
            plan["p_no"],
            plan["p_step_from"],
            plan["p_step_to"],
            plan["p_final"],
            strict=True,
        ):
            assert f"('{mode}', '{frm}', {no}, '{step_from}', '{step_to}', '{final}')" in sql


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_scans_arriving_together_on_postgresql_are_grouped_and_each_answered(
    event, staff, monkeypatch
):
    """Forty scans at once, one group in flight: fewer statements than scans,
    and every answer the one a lone scan gets: changes (one and two steps),
    repeats, unknown codes, cancelled, another event's code for a device, and
    five scans of one code (changed once)."""
    from django.test import override_settings

    other_event = EventFactory()
    fresh = [make_registrant(event) for _ in range(20)]
    entering = [make_registrant(event) for _ in range(5)]
    repeat = make_registrant(event, status="checked_in")
    cancelled = make_registrant(event, status="cancelled")
    elsewhere = make_registrant(other_event)
    once = make_registrant(event)
    staff_principal = Principal(user_id=staff.pk, name="sam")
    device = Principal(user_id=staff.pk, name="door", event_id=event.pk, device_id=1)
    scans = (
        [(r.check_in_code, "desk", staff_principal) for r in fresh]
        + [(r.check_in_code, "entry", staff_principal) for r in entering]
        + [(repeat.check_in_code, "desk", staff_principal)]
        + [(cancelled.check_in_code, "desk", staff_principal)]
        + [("NO-SUCH-CODE", "desk", staff_principal)]
        + [(elsewhere.check_in_code, "desk", device)]
        + [(once.check_in_code, "desk", device)] * 5
    )
    sizes: list[int] = []
    original = db.PostgresBackend._apply_group

    async def counting(self, group):
        sizes.append(len(group))
        return await original(self, group)

    monkeypatch.setattr(db.PostgresBackend, "_apply_group", counting)
    published: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda m: published.append(m) if m else None)

    async def main():
        backend = db.backend()
        answers = await asyncio.gather(
            *(
                backend.scan(code, mode, who, None, dt.datetime.now(dt.UTC))
                for code, mode, who in scans
            )
        )
        await db.drain()
        await live.drain()
        await db.close()
        return answers

    with override_settings(GATEWAY_SCAN_GROUPS_IN_FLIGHT=1, GATEWAY_SCAN_GROUP_MAX=64):
        answers = asyncio.run(main())

    assert len(sizes) < len(scans) and max(sizes) > 1
    statuses = [status for status, _, _ in answers]
    changed = [body.get("changed") for _, body, _ in answers]
    assert statuses[:25] == [200] * 25 and all(changed[:25])
    assert [body["registrant"]["status"] for _, body, _ in answers[20:25]] == ["entered"] * 5
    assert statuses[25] == 200 and changed[25] is False  # repeat
    assert statuses[26:29] == [409, 404, 409]
    wrong = answers[28][1]["error"]
    assert wrong["code"] == "wrong_event"
    assert wrong["details"]["event"] == {"id": other_event.pk, "name": other_event.name}
    assert statuses[29:] == [200] * 5 and Counter(changed[29:]) == {True: 1, False: 4}
    for person in fresh:
        person.refresh_from_db()
        assert person.status == "checked_in"
    history = StatusChange.objects.filter(event=event, source="scan")
    assert history.count() == 20 + 2 * 5 + 1
    assert not StatusChange.objects.filter(event=other_event, source="scan").exists()
    assert history_violations([event.pk, other_event.pk]) == []
    # Each change published once, by its group, with the rows it wrote.
    assert sorted(m["registrant"]["id"] for m in published) == sorted(
        [r.pk for r in fresh + entering] + [once.pk]
    )
    assert sorted(c["id"] for m in published for c in m["changes"]) == sorted(
        history.values_list("id", flat=True)
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_callers_cancelled_while_their_group_runs_cut_nothing(event, staff, monkeypatch):
    """scan_and_publish awaits only the group's future: the callers are
    cancelled while their group is in PostgreSQL; every scan still commits
    with its history rows and is published."""
    people = [make_registrant(event) for _ in range(12)]
    principal = Principal(user_id=staff.pk, name="sam")
    published: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda m: published.append(m) if m else None)
    original = db.PostgresBackend._apply_group
    entered = asyncio.Event()

    async def slow(self, group):
        entered.set()
        await asyncio.sleep(0.2)  # the callers are cancelled meanwhile
        return await original(self, group)

    monkeypatch.setattr(db.PostgresBackend, "_apply_group", slow)

    async def main():
        callers = [
            asyncio.ensure_future(
                db.scan_and_publish(p.check_in_code, "desk", principal, None, NOW)
            )
            for p in people
        ]
        await entered.wait()
        for caller in callers:
            caller.cancel()
        results = await asyncio.gather(*callers, return_exceptions=True)
        await db.drain()
        await live.drain()
        await db.close()
        return results

    results = asyncio.run(main())
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    for person in people:
        person.refresh_from_db()
        assert person.status == "checked_in"
    assert StatusChange.objects.filter(event=event, source="scan").count() == 12
    assert sorted(m["registrant"]["id"] for m in published) == sorted(p.pk for p in people)
    assert history_violations([event.pk]) == []
