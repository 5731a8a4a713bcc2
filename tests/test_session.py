"""The session's embedded defaults, through ``run_drill_file`` as the CLI calls it."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportdrill.session import run_drill_file
from supportdrill.store import RunStore
from supportdrill.timeline import DrillStarted, ReplyClass, TicketFiled, VendorReply

JAKARTA = ZoneInfo("Asia/Jakarta")


async def test_simulated_persona_keeps_the_holidays_the_coverage_names(tmp_path: Path) -> None:
    """Friday 25 December 2026 is Christmas, a public holiday in Indonesia: a business-hours
    vendor's people are off, and the first human answer comes on Monday the 28th."""
    drill = tmp_path / "christmas.yaml"
    drill.write_text(
        textwrap.dedent(
            """\
            name: christmas-p0
            description: filed on a public holiday
            vendor:
              name: acme
              desk:
                kind: simulated
                persona: business-hours-only
                simulated_start: "2026-12-25T10:00:00+07:00"
                rate: 40000
              timezone: Asia/Jakarta
              coverage: {P0: "Mon-Fri 09:00-18:00", holidays: ID}
              sla: common-vendor
            ticket: {severity: P0}
            resolution: {when: ticket_solved, timeout: 5d, poll_interval: 10m}
            safety: {max_duration: 6d}
            """
        ),
        encoding="utf-8",
    )
    store_path = tmp_path / "runs.db"
    await run_drill_file(
        drill,
        store_path=store_path,
        reports_dir=tmp_path / "reports",
        live=False,
        simulated_start=None,
        simulated_rate=None,
    )
    with RunStore(store_path) as store:
        (summary,) = store.runs()
        timeline = store.events(summary.run_id)
    started = timeline.first(DrillStarted)
    filed = timeline.first(TicketFiled)
    assert started is not None and filed is not None
    # The simulated start is the filing moment, to the second; the drill started just before.
    assert filed.at.astimezone(JAKARTA).isoformat() == "2026-12-25T10:00:00+07:00"
    assert timedelta(0) <= filed.at - started.at <= timedelta(seconds=5)
    human = next(r for r in timeline.all(VendorReply) if r.classification is ReplyClass.HUMAN)
    assert human.at.astimezone(JAKARTA).strftime("%a %d") == "Mon 28"


async def test_the_streams_whip_token_is_redacted_from_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from supportdrill.definitions.loader import build_drill
    from supportdrill.session import environment

    token = "whip-tok-8Jq2Lm4Zx9Wv"
    monkeypatch.setenv("SD_TEST_WHIP_TOKEN", token)
    drill = build_drill(
        textwrap.dedent(
            """\
            name: whip-token
            vendor: {name: v, desk: {kind: simulated}, timezone: UTC}
            ticket: {severity: P0}
            stream:
              target: whip
              whip_url: http://127.0.0.1:9/whip
              whep_url: http://127.0.0.1:9/whep
              token: ${SD_TEST_WHIP_TOKEN}
            """
        ),
        "whip.yaml",
    )
    log_file = tmp_path / "drill.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    logging.getLogger().addHandler(handler)
    try:
        async with environment(drill) as env:
            assert env.redactor.redact(f"Bearer {token}") == "Bearer ***"
            logging.getLogger("supportdrill.test").warning("sent Authorization: Bearer %s", token)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    assert "Bearer ***" in text and token not in text


FRIDAY_1755 = textwrap.dedent(
    """\
    name: friday-close
    description: filed five minutes before closing time
    vendor:
      name: acme
      desk:
        kind: simulated
        persona: business-hours-only
        simulated_start: "2026-11-20T17:55:00+07:00"
        rate: 5000
      timezone: Asia/Jakarta
      coverage: {P0: "Mon-Fri 09:00-18:00", holidays: ID}
      sla: common-vendor
    ticket: {severity: P0, file_after: 60s}
    resolution: {when: ticket_solved, timeout: 4d, poll_interval: 10m}
    safety: {max_duration: 5d}
    """
)


@pytest.mark.parametrize("rate", ["40000", "400000"])
async def test_simulated_start_is_the_filing_time_to_the_second(tmp_path: Path, rate: str) -> None:
    """At rate 5000 "17:55" used to be filed at 18:08, after closing time: set-up, the grace
    window and the filing call all ran on the accelerated clock."""
    drill = tmp_path / "friday.yaml"
    drill.write_text(FRIDAY_1755.replace("rate: 5000", f"rate: {rate}"), encoding="utf-8")
    store_path = tmp_path / "runs.db"
    run = await run_drill_file(drill, store_path=store_path, reports_dir=tmp_path / "reports")
    with RunStore(store_path) as store:
        timeline = store.events(run.run_id)
    filed = timeline.first(TicketFiled)
    started = timeline.first(DrillStarted)
    assert filed is not None and started is not None
    assert filed.at.astimezone(JAKARTA).isoformat() == "2026-11-20T17:55:00+07:00"
    # The grace window (60 s) came before it, whole.
    assert filed.at - started.at >= timedelta(seconds=60)
    # The ack comes 5 s after filing; 12 business minutes later (4m55s on Friday, the rest on
    # Monday) the human answers.
    human = next(r for r in timeline.all(VendorReply) if r.classification is ReplyClass.HUMAN)
    assert human.at.astimezone(JAKARTA).isoformat() == "2026-11-23T09:07:05+07:00"
