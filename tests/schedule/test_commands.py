"""The schedule verbs through the command line (in-process), the series view, and the scorecard
grouped by schedule and by hour of the week in the vendor's zone."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportdrill.cli import main
from supportdrill.report.vendor_scorecard import load
from supportdrill.store import RunStore
from supportdrill.store.leases import Leases
from supportdrill.timeline import DrillEnded, DrillStarted, Outcome

BERLIN = textwrap.dedent(
    """\
    name: berlin-sunday
    vendor:
      name: acme-rtc
      desk: {kind: simulated, persona: responsive-24x7}
      timezone: Europe/Berlin
      coverage: {P0: 24x7, P1: "Mon-Fri 09:00-18:00", holidays: DE}
    ticket: {severity: P0}
    schedule: {cron: "30 2 * * *"}
    """
)


@pytest.fixture
def drill_file(tmp_path: Path) -> Path:
    path = tmp_path / "berlin.yaml"
    path.write_text(BERLIN)
    return path


def test_next_names_the_dst_change_and_the_holiday(
    drill_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["schedule", "next", str(drill_file), "-n", "7", "--after", "2027-03-25T12:00Z"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("berlin-sunday: '30 2 * * *' in Europe/Berlin")
    rows = out[2:]
    assert rows[0].startswith("  1  2027-03-26 01:30Z  Fri 2027-03-26 02:30 CET")
    assert "holiday: Good Friday" in rows[0] or "Karfreitag" in rows[0]
    assert rows[2].startswith("  3  2027-03-28 01:00Z  Sun 2027-03-28 03:00 CEST")
    assert "clocks go forward: 02:30 does not exist" in rows[2]
    assert rows[3].startswith("  4  2027-03-29 00:30Z  Mon 2027-03-29 02:30 CEST")


def test_list_export_and_bad_input(
    drill_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "runs.db")
    assert main(["--store", store, "schedule", "list", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert "berlin-sunday" in listing and "30 2 * * *" in listing and "Europe/Berlin" in listing
    out_dir = tmp_path / "export"
    assert main(["schedule", "export", str(drill_file), "--out", str(out_dir)]) == 0
    printed = capsys.readouterr().out
    assert (out_dir / "berlin-sunday.cronjob.yaml").is_file()
    assert (out_dir / "berlin-sunday.timer").is_file()
    assert "warning: GitHub Actions: cron is UTC" in printed
    bad = tmp_path / "bad.yaml"
    bad.write_text(BERLIN.replace('"30 2 * * *"', '"30 25 * * *"'))
    assert main(["schedule", "next", str(bad)]) == 2
    assert "bad.yaml:8: schedule.cron: hour: 25 is out of range 0-23" in capsys.readouterr().err
    assert main(["schedule", "next", str(drill_file), "--after", "tomorrow"]) == 2
    assert main(["schedule", "next", str(drill_file), "-n", "0"]) == 2
    plain = tmp_path / "plain.yaml"
    plain.write_text(BERLIN.split("schedule:")[0])
    assert main(["schedule", "next", str(plain)]) == 2
    assert "no schedule: section" in capsys.readouterr().err


def test_fire_does_nothing_when_no_run_is_due(
    drill_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "runs.db")
    # 05:00 UTC is 06:00 in Berlin: the 02:30 run is hours past the tolerance.
    code = main(
        [
            "--store",
            store,
            "schedule",
            "fire",
            str(drill_file),
            "--simulate-at",
            "2027-01-04T05:00:00Z",
            "--rate",
            "1",
        ]
    )
    assert code == 0
    assert "no run due within 0:15:00" in capsys.readouterr().out
    with RunStore(tmp_path / "runs.db") as opened:
        assert Leases(opened).claims("berlin-sunday") == []


def _finished_run(
    store: RunStore, *, started: datetime, schedule: str | None, outcome: Outcome
) -> str:
    labels = {"schedule": schedule} if schedule else {}
    run_id = store.create_run(
        drill="berlin-sunday",
        vendor="acme-rtc",
        severity="P0",
        desk="simulated",
        started_at=started,
        drill_text=BERLIN,
        drill_path="berlin.yaml",
        labels=labels,
    )
    store.append_many(
        run_id,
        [
            DrillStarted(
                at=started,
                observed_at=started,
                drill="berlin-sunday",
                vendor="acme-rtc",
                desk="simulated",
                severity="P0",
                timezone="Europe/Berlin",
            ),
            DrillEnded(at=started, observed_at=started, outcome=outcome),
        ],
    )
    store.finish_run(run_id, outcome, ended_at=started + timedelta(minutes=5))
    return run_id


def test_scorecard_groups_by_schedule_and_the_series_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.db"
    with RunStore(path) as store:
        saturday = datetime(2027, 1, 2, 2, 30, tzinfo=UTC)  # 03:30 in Berlin
        _finished_run(store, started=saturday, schedule="nights", outcome=Outcome.COMPLETED)
        _finished_run(
            store, started=saturday + timedelta(days=7), schedule="nights", outcome=Outcome.ABORTED
        )
        _finished_run(
            store,
            started=saturday + timedelta(days=2, hours=8),
            schedule=None,
            outcome=Outcome.COMPLETED,
        )
        leases = Leases(store)
        leases.claim(
            "nights",
            saturday,
            "me",
            now=saturday,
            action="started",
            run_id=store.runs(None)[-1].run_id,
        )
        leases.claim(
            "nights",
            saturday + timedelta(days=1),
            "me",
            now=saturday,
            action="missed",
            detail="late",
        )
    by_schedule = load(path, group="schedule")
    assert sorted({group.vendor for group in by_schedule.groups}) == [
        "acme-rtc · schedule (unscheduled)",
        "acme-rtc · schedule nights",
    ]
    assert [vendor for vendor, _ in by_schedule.heat_maps] == [
        "acme-rtc · schedule (unscheduled)",
        "acme-rtc · schedule nights",
    ]
    assert {group.vendor for group in load(path).groups} == {"acme-rtc"}
    assert main(["--store", str(path), "scorecard", "--group", "schedule"]) == 0
    card = capsys.readouterr().out
    assert "acme-rtc · schedule nights" in card and "by hour of the week" in card
    assert main(["--store", str(path), "runs", "--schedule", "nights"]) == 0
    series = capsys.readouterr().out.splitlines()
    assert series[1].startswith("2027-01-02 02:30Z  started")
    assert series[2].startswith("2027-01-03 02:30Z  missed") and series[2].endswith("late")
    assert main(["--store", str(path), "runs", "--schedule", "other"]) == 0
    assert "no runs of schedule 'other'" in capsys.readouterr().out
