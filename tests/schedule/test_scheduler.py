"""The scheduler on a virtual clock: a year of runs, downtime and the missed-run policy, two
schedulers on one store, concurrency policies, max runs, failed starts."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportdrill.clock import VirtualClock
from supportdrill.schedule.plan import planned_runs
from supportdrill.schedule.scheduler import Entry, Scheduler
from supportdrill.store import RunStore
from supportdrill.store.leases import Leases
from supportdrill.timeline import AlertDelivery, DrillEnded, Outcome

from .drills import scheduled
from .standins import StandInLauncher

START = datetime(2027, 1, 1, tzinfo=UTC)


def entry(schedule: str, **kwargs: str) -> Entry:
    drill = scheduled(schedule, **kwargs)
    return Entry(drill, Path(drill.source_path))


@pytest.mark.parametrize(
    ("zone", "country"), [("America/Los_Angeles", "US"), ("Europe/Berlin", "DE")]
)
async def test_a_year_of_a_weekly_schedule_starts_every_run_once_on_time(
    tmp_path: Path, zone: str, country: str
) -> None:
    clock = VirtualClock(START)
    job = entry('cron: "30 2 * * sun"\n', timezone=zone, country=country)
    with RunStore(tmp_path / "runs.db") as store:
        launcher = StandInLauncher(store, clock)
        # Idle, it wakes when the next run is due (a year of five-minute naps would be slow).
        scheduler = Scheduler(
            [job], store=store, clock=clock, launcher=launcher, idle_poll=timedelta(days=8)
        )
        await scheduler.run(until=START + timedelta(days=365))
        expected = list(
            itertools.takewhile(
                lambda r: r.at <= START + timedelta(days=365), planned_runs(job.drill, START)
            )
        )
        assert len(expected) == 52
        assert [due.nominal for _, due, _ in launcher.started] == [r.nominal for r in expected]
        # Each started when due (the virtual clock wakes exactly then), in vendor time 02:30 or,
        # on the spring-forward Sunday, at 03:00 when the clocks jump.
        assert all(started == due.at for _, due, started in launcher.started)
        local = [due.local.strftime("%H:%M") for _, due, _ in launcher.started]
        assert local.count("03:00") == 1 and local.count("02:30") == 51
        claims = Leases(store).claims(job.name)
        assert [c.action for c in claims] == ["started"] * 52
        finished = [d for d in scheduler.decisions if d.action == "finished"]
        assert len(finished) == 52 and all(d.detail == "every SLA met" for d in finished)
        assert store.runs(None)[0].status.value == "finished"


@pytest.mark.parametrize(
    ("policy", "deadline", "expected"),
    [
        ("latest", None, ["missed", "missed", "started"]),
        ("skip", None, ["missed", "missed", "missed"]),
        ("all", None, ["started", "started", "started"]),
        ("all", "30h", ["missed", "started", "started"]),
    ],
)
async def test_a_scheduler_killed_and_restarted_applies_the_missed_run_policy(
    tmp_path: Path, policy: str, deadline: str | None, expected: list[str]
) -> None:
    path = tmp_path / "runs.db"
    text = f'cron: "0 3 * * *"\nmissed: {policy}\nconcurrency: Allow\n'
    if deadline:
        text += f"starting_deadline: {deadline}\n"
    job = entry(text)
    clock = VirtualClock(START)
    with RunStore(path) as store:
        first = Scheduler([job], store=store, clock=clock, launcher=StandInLauncher(store, clock))
        # Stops at midnight UTC on 3 January, after the runs of 1 and 2 January (20:00 UTC).
        await first.run(until=START + timedelta(days=2))
    before = len(Leases(RunStore(path)).claims(job.name))
    assert before == 2
    # Down until 01:00 UTC on 6 January: the runs of 3, 4 and 5 January (03:00 Jakarta, 20:00
    # UTC) fell due meanwhile, 53 h, 29 h and 5 h ago.
    clock.advance(3 * 86400 + 3600)
    with RunStore(path) as store:
        launcher = StandInLauncher(store, clock)
        second = Scheduler([job], store=store, clock=clock, launcher=launcher)
        await second.run(until=clock.now() + timedelta(hours=24))
        claims = Leases(store).claims(job.name)
        assert [c.action for c in claims[before : before + 3]] == expected
        assert all("late" in c.detail for c in claims[before : before + 3] if c.action == "missed")
        # Then back on time, whatever the policy.
        assert claims[before + 3].action == "started"
        assert claims[before + 3].due_at > claims[before + 2].due_at


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One store two schedulers share: a SQLite file, or a PostgreSQL schema when one runs."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs.db")
        return
    # As tests/store/backends.py does: a throwaway schema of the test server, dropped after.
    import os
    import secrets
    from urllib.parse import quote

    base = os.environ.get("SUPPORTDRILL_TEST_POSTGRES", "")
    if not base:
        pytest.skip("no PostgreSQL server: set SUPPORTDRILL_TEST_POSTGRES")
    import psycopg

    schema = f"sd_sched_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            separator = "&" if "?" in base else "?"
            yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


async def test_two_schedulers_on_one_store_never_start_a_run_twice(shared_store: str) -> None:
    path = shared_store
    job = entry('cron: "*/10 * * * *"\n')
    clock = VirtualClock(START)
    with RunStore(path) as one, RunStore(path) as two:
        launchers = [
            StandInLauncher(one, clock, duration=timedelta(minutes=3)),
            StandInLauncher(two, clock, duration=timedelta(minutes=3)),
        ]
        schedulers = [
            Scheduler([job], store=store, clock=clock, launcher=launcher, holder=name)
            for store, launcher, name in zip((one, two), launchers, ("one", "two"), strict=True)
        ]
        end = START + timedelta(days=2)
        await asyncio.gather(*(s.run(until=end) for s in schedulers))
        started = [due.nominal for launcher in launchers for _, due, _ in launcher.started]
        assert len(started) == len(set(started))  # never twice
        claims = Leases(one).claims(job.name)
        assert len(claims) == len({c.due_at for c in claims})
        assert sum(c.action == "started" for c in claims) == len(started)
        # Every ten minutes for two days, each decided by exactly one of them.
        assert len(claims) >= 2 * 24 * 6 - 1
        assert {c.holder for c in claims} <= {"one", "two"}


async def test_forbid_skips_a_run_while_the_previous_one_goes_on(tmp_path: Path) -> None:
    job = entry('cron: "0 * * * *"\nconcurrency: Forbid\n')
    clock = VirtualClock(START)
    with RunStore(tmp_path / "runs.db") as store:
        launcher = StandInLauncher(store, clock, duration=timedelta(minutes=90))
        scheduler = Scheduler([job], store=store, clock=clock, launcher=launcher)
        await scheduler.run(until=START + timedelta(hours=6, minutes=30))
        actions = [c.action for c in Leases(store).claims(job.name)]
        assert actions == ["started", "skipped"] * 3
        skipped = [c for c in Leases(store).claims(job.name) if c.action == "skipped"]
        assert all("previous run still going (Forbid" in c.detail for c in skipped)


async def test_replace_stops_the_previous_run_and_allow_runs_both(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    with RunStore(tmp_path / "runs.db") as store:
        replace = entry('cron: "0 * * * *"\nconcurrency: Replace\nname: replaced\n')
        allow = entry('cron: "0 * * * *"\nconcurrency: Allow\nname: allowed\n')
        launcher = StandInLauncher(store, clock, duration=timedelta(minutes=90))
        scheduler = Scheduler([replace, allow], store=store, clock=clock, launcher=launcher)
        await scheduler.run(until=START + timedelta(hours=3, minutes=30))
        claims = Leases(store).claims("replaced")
        assert [c.action for c in claims] == ["started"] * 3
        outcomes = [store.get_run(c.run_id).outcome for c in claims]
        assert outcomes[:2] == [Outcome.HALTED, Outcome.HALTED]
        assert [c.action for c in Leases(store).claims("allowed")] == ["started"] * 3
        allowed = [store.get_run(c.run_id).outcome for c in Leases(store).claims("allowed")]
        assert allowed[0] is Outcome.COMPLETED


async def test_max_runs_and_suspend(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    with RunStore(tmp_path / "runs.db") as store:
        limited = entry('cron: "0 * * * *"\nmax_runs: 2\nname: limited\n')
        paused = entry('cron: "0 * * * *"\nsuspend: true\nname: paused\n')
        launcher = StandInLauncher(store, clock)
        scheduler = Scheduler([limited, paused], store=store, clock=clock, launcher=launcher)
        await scheduler.run(until=START + timedelta(hours=4, minutes=30))
        actions = [c.action for c in Leases(store).claims("limited")]
        assert actions == ["started", "started", "skipped", "skipped"]
        assert Leases(store).claims("paused") == []


async def test_breach_abort_and_cannot_start_are_told_apart(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    with RunStore(tmp_path / "runs.db") as store:
        job = entry('cron: "0 * * * *"\n')
        for code, outcome, record, action in [
            (1, Outcome.COMPLETED, True, "an SLA was breached"),
            (1, Outcome.ABORTED, True, "the drill ended aborted"),
            (2, Outcome.COMPLETED, False, "exit code 2 before the run was recorded"),
        ]:
            launcher = StandInLauncher(store, clock, code=code, outcome=outcome, record=record)
            scheduler = Scheduler([job], store=store, clock=clock, launcher=launcher)
            await scheduler.run(until=clock.now() + timedelta(hours=1, minutes=30))
            last = [d for d in scheduler.decisions if d.action in ("finished", "cannot_start")][-1]
            assert last.detail.startswith(action)
        claims = Leases(store).claims(job.name)
        assert claims[-1].action == "cannot_start"
        failed = store.events(claims[-1].run_id)
        ended = failed.last(DrillEnded)
        assert ended is not None and ended.outcome is Outcome.ABORTED
        assert "cannot start: exit code 2" in ended.reason and "stand-in" in ended.reason
        assert failed.last(AlertDelivery) is None  # no alert channels configured


async def test_a_launch_that_fails_is_a_cannot_start(tmp_path: Path) -> None:
    clock = VirtualClock(START)

    class Broken(StandInLauncher):
        async def launch(self, entry, run_id, due):  # type: ignore[no-untyped-def]
            raise FileNotFoundError(2, "No such file or directory", "/no/python")

    with RunStore(tmp_path / "runs.db") as store:
        job = entry('cron: "0 * * * *"\n')
        scheduler = Scheduler([job], store=store, clock=clock, launcher=Broken(store, clock))
        await scheduler.run(until=START + timedelta(hours=2, minutes=30))
        claims = Leases(store).claims(job.name)
        assert [c.action for c in claims] == ["cannot_start", "cannot_start"]
        assert "could not start" in claims[0].detail
        assert Leases(store).holder(f"schedule:{job.name}:running", now=clock.now()) is None


def test_jakarta_vendor_time_of_a_start() -> None:
    job = entry('cron: "0 3 * * 6"\n')
    (first,) = itertools.islice(planned_runs(job.drill, START), 1)
    assert first.local.tzinfo == ZoneInfo("Asia/Jakarta") and first.local.hour == 3


async def test_a_start_lost_with_its_scheduler_is_told_after_a_grace(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    job = entry('cron: "0 * * * *"\n')
    with RunStore(tmp_path / "runs.db") as store:
        leases = Leases(store)
        due = START - timedelta(hours=1)
        leases.claim(job.name, due, "dead", now=due, action="started", run_id="20270101-lost")
        scheduler = Scheduler(
            [job], store=store, clock=clock, launcher=StandInLauncher(store, clock)
        )
        await scheduler.run(until=START + timedelta(minutes=30))
        lost = leases.claims(job.name)[0]
        assert lost.action == "cannot_start" and "(dead) stopped before" in lost.detail
        assert store.get_run("20270101-lost").outcome is Outcome.ABORTED


async def test_fire_starts_the_run_just_due_after_its_jitter_once(tmp_path: Path) -> None:
    job = entry('cron: "0 3 * * *"\njitter: 20m\n')
    (due,) = itertools.islice(planned_runs(job.drill, START), 1)
    assert due.at > due.nominal  # this seed delays it
    clock = VirtualClock(due.nominal + timedelta(minutes=2))  # the outer trigger, a bit late
    with RunStore(tmp_path / "runs.db") as store:
        launcher = StandInLauncher(store, clock)
        seen: list[str] = []
        first = Scheduler(
            [job],
            store=store,
            clock=clock,
            launcher=launcher,
            on_decision=lambda d: seen.append(d.action),
        )
        assert await first.fire(timedelta(minutes=15)) == due
        assert launcher.started[0][2] == max(due.at, due.nominal + timedelta(minutes=2))
        assert seen == ["started", "finished"]
        # A second trigger for the same time (the other UTC line, a retry) starts nothing.
        again = Scheduler([job], store=store, clock=clock, launcher=launcher)
        assert await again.fire(timedelta(hours=2)) == due
        assert len(launcher.started) == 1 and again.decisions == []
        # Long after the tolerance, nothing is due.
        clock.advance(6 * 3600)
        assert await again.fire(timedelta(minutes=15)) is None


async def test_fire_outside_the_windows_is_not_a_run(tmp_path: Path) -> None:
    # Hourly, but only in the first hour of Jakarta's business day: 10:30 is not a run.
    job = entry('cron: "30 * * * *"\nwindows: [first_hour]\ncalendar: P1\n')
    clock = VirtualClock(datetime(2027, 3, 1, 3, 31, tzinfo=UTC))  # Monday 10:31 in Jakarta
    with RunStore(tmp_path / "runs.db") as store:
        launcher = StandInLauncher(store, clock)
        scheduler = Scheduler([job], store=store, clock=clock, launcher=launcher)
        assert await scheduler.fire(timedelta(minutes=15)) is None
        assert launcher.started == []


async def test_stopping_the_scheduler_stops_its_running_drills(tmp_path: Path) -> None:
    job = entry('cron: "0 * * * *"\n')
    clock = VirtualClock(START)
    with RunStore(tmp_path / "runs.db") as store:
        launcher = StandInLauncher(store, clock, duration=timedelta(hours=5))
        scheduler = Scheduler([job], store=store, clock=clock, launcher=launcher)
        await scheduler.run(until=START + timedelta(hours=1, minutes=30))
        (run_id, _, _) = launcher.started[0]
        assert store.get_run(run_id).outcome is Outcome.HALTED
        assert scheduler.running == []
        assert Leases(store).holder(f"schedule:{job.name}:running", now=clock.now()) is None
