"""Runbook files and the drill's runbook: section: steps, failover paths, errors at file:line."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from supportdrill.definitions.loader import build_drill, load_drill
from supportdrill.definitions.packaged import examples_dir
from supportdrill.definitions.runbook import (
    FailoverSpec,
    RunbookStep,
    StepKind,
    parse_runbook,
)
from supportdrill.errors import InvalidDrill

DRILL = textwrap.dedent(
    """\
    name: rb
    vendor:
      name: oncall
      desk: {kind: simulated, persona: silent}
      timezone: UTC
      sla: common-vendor
    stream: {scenario: voice-room}
    fault: {toxics: [{type: loss, attributes: {probability: 0.3}}]}
    resolution: {when: stream_recovered, lift_fault: never, timeout: 2m}
    safety: {max_duration: 10m}
    ticket: {severity: P0}
    """
)

RUNBOOK = textwrap.dedent(
    """\
    name: rb-12
    responder: oncall@example.test
    steps:
      - {after: 2s, do: acknowledge, text: "Ack."}
      - {do: failover, path: frankfurt}
      - {after: 1m, do: resolve}
    """
)


def test_a_runbook_file_reads_as_steps_with_their_lines() -> None:
    book = parse_runbook(RUNBOOK, "rb.yaml", paths=("singapore", "frankfurt"))
    assert (book.name, book.responder, book.source) == ("rb-12", "oncall@example.test", "rb.yaml")
    assert book.steps == (
        RunbookStep(StepKind.ACKNOWLEDGE, timedelta(seconds=2), "Ack.", "", 4),
        RunbookStep(StepKind.FAILOVER, timedelta(0), "", "frankfurt", 5),
        RunbookStep(StepKind.RESOLVE, timedelta(minutes=1), "", "", 6),
    )


BAD_RUNBOOKS = [
    ("steps: []\n", "rb.yaml:1: steps: needs at least one step"),
    ("steps:\n  - {do: reboot}\n", "rb.yaml:2: steps[0].do: 'reboot' is not one of acknowledge"),
    ("steps:\n  - {do: comment}\n", "rb.yaml:2: steps[0].text: a comment step needs text"),
    ("steps:\n  - {do: failover}\n", "rb.yaml:2: steps[0].path: a failover step names the path"),
    (
        "steps:\n  - {do: failover, path: frankfrut}\n",
        "rb.yaml:2: steps[0].path: unknown media path 'frankfrut'; did you mean 'frankfurt'?",
    ),
    ("steps:\n  - {do: resolve, path: x}\n", "rb.yaml:2: steps[0].path: only a failover step"),
    (
        "steps:\n  - {do: resolve, after: -5s}\n",
        "rb.yaml:2: steps[0].after: '-5s' is not a duration",
    ),
    ("steps:\n  - {do: resolve, wait: 5s}\n", "rb.yaml:2: steps[0].wait: unknown key"),
    ("stepz: []\n", "rb.yaml:1: stepz: unknown key; did you mean 'steps'?"),
]


@pytest.mark.parametrize(("text", "error"), BAD_RUNBOOKS)
def test_a_bad_runbook_names_the_file_line_and_field(text: str, error: str) -> None:
    with pytest.raises(InvalidDrill) as caught:
        parse_runbook(text, "rb.yaml", paths=("singapore", "frankfurt"))
    assert str(caught.value).startswith(error)


def test_inline_steps_and_failover_in_the_drill() -> None:
    drill = build_drill(
        DRILL
        + "runbook:\n"
        + "  failover: {primary: singapore, backup: frankfurt, listen: '127.0.0.1:8700'}\n"
        + "  responder: Earline\n"
        + "  steps:\n    - {after: 5s, do: failover, path: frankfurt}\n",
        "d.yaml",
    )
    assert drill.runbook is not None
    assert drill.runbook.failover == FailoverSpec("singapore", "frankfurt", "127.0.0.1:8700")
    assert drill.runbook.failover.paths == ("singapore", "frankfurt")
    assert drill.runbook.script is not None and drill.runbook.script.source == "inline"
    assert drill.runbook.script.responder == "Earline"


def test_a_person_can_follow_the_runbook_the_drill_only_offers_the_failover() -> None:
    drill = build_drill(DRILL + "runbook: {failover: {}}\n", "d.yaml")
    assert drill.runbook is not None and drill.runbook.script is None
    assert drill.runbook.failover == FailoverSpec()


BAD_SECTIONS = [
    (
        "runbook: {failover: {backup: primary}}\n",
        "d.yaml:12: runbook.failover.backup: the backup path needs a name of its own",
    ),
    (
        "runbook: {failover: {primary: Singapore}}\n",
        "d.yaml:12: runbook.failover.primary: use lower-case",
    ),
    (
        "runbook: {failover: {listen: '0.0.0.0:80'}}\n",
        "d.yaml:12: runbook.failover.listen: '0.0.0.0:80': the control endpoint listens on loopback only",
    ),
    (
        "runbook: {failover: {listen: 'localhost:80'}}\n",
        "d.yaml:12: runbook.failover.listen: 'localhost:80': write HOST:PORT",
    ),
    (
        "runbook: {failover: {listen: '127.0.0.1:70000'}}\n",
        "d.yaml:12: runbook.failover.listen: '127.0.0.1:70000': port must be 0 to 65535",
    ),
    (
        "runbook: {file: a.yaml, steps: []}\n",
        "d.yaml:12: runbook.steps: give either file or steps, not both",
    ),
    (
        "runbook: {file: a.yaml, responder: x}\n",
        "d.yaml:12: runbook.responder: belongs in the runbook file",
    ),
    (
        "runbook: {steps: [{do: failover, path: backup}]}\n",
        "d.yaml:12: steps.do: a failover step needs the drill's runbook.failover",
    ),
    (
        "runbook: {fail_over: {}}\n",
        "d.yaml:12: runbook.fail_over: unknown key; did you mean 'failover'?",
    ),
]


@pytest.mark.parametrize(("tail", "error"), BAD_SECTIONS)
def test_a_bad_runbook_section_names_where(tail: str, error: str) -> None:
    with pytest.raises(InvalidDrill) as caught:
        build_drill(DRILL + tail, "d.yaml")
    assert str(caught.value).startswith(error)


def test_a_failover_needs_the_loopback_udp_stream() -> None:
    text = DRILL.replace(
        "stream: {scenario: voice-room}", "stream: {scenario: voice-room, path: turn-tcp}"
    )
    with pytest.raises(
        InvalidDrill, match=r"runbook\.failover: a failover needs the loopback stream"
    ):
        build_drill(text + "runbook: {failover: {}}\n", "d.yaml")


def test_load_drill_reads_the_runbook_file_beside_it(tmp_path: Path) -> None:
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "rb.yaml").write_text(RUNBOOK, encoding="utf-8")
    path = tmp_path / "d.yaml"
    path.write_text(
        DRILL
        + "runbook:\n  file: books/rb.yaml\n  failover: {primary: singapore, backup: frankfurt}\n",
        encoding="utf-8",
    )
    drill = load_drill(path)
    assert drill.runbook is not None and drill.runbook.script is not None
    assert drill.runbook.script.source == str(tmp_path / "books" / "rb.yaml")
    assert [step.kind for step in drill.runbook.script.steps] == [
        StepKind.ACKNOWLEDGE,
        StepKind.FAILOVER,
        StepKind.RESOLVE,
    ]
    # build_drill (a stored drill's text) keeps the name only: the file is not read.
    assert build_drill(path.read_text(encoding="utf-8"), "d.yaml").runbook.script is None  # type: ignore[union-attr]


def test_load_drill_checks_the_runbook_file(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DRILL + "runbook: {file: rb.yaml}\n", encoding="utf-8")
    with pytest.raises(InvalidDrill) as missing:
        load_drill(path)
    assert str(missing.value) == f"{tmp_path / 'rb.yaml'}: no such file"
    (tmp_path / "rb.yaml").write_text(RUNBOOK, encoding="utf-8")
    with pytest.raises(InvalidDrill) as no_failover:
        load_drill(path)
    assert str(no_failover.value).startswith(
        f"{tmp_path / 'rb.yaml'}:5: steps.do: a failover step needs the drill's runbook.failover"
    )
    (tmp_path / "rb.yaml").write_text(
        RUNBOOK.replace("failover, path: frankfurt", "comment, text: hi"), encoding="utf-8"
    )
    assert load_drill(path).runbook.script.steps[1].kind is StepKind.COMMENT  # type: ignore[union-attr]


def test_the_example_runbook_drills_load() -> None:
    for name in ("runbook-edge-failover.yaml", "runbook-broken-failover.yaml"):
        drill = load_drill(examples_dir() / name)
        assert drill.runbook is not None and drill.runbook.script is not None
        assert drill.runbook.failover == FailoverSpec("singapore", "frankfurt")
        assert drill.fault is not None and drill.fault.expect_recovered_within == timedelta(
            seconds=45
        )


def test_the_responder_s_own_token_is_named_never_given() -> None:
    drill = build_drill(
        DRILL + 'runbook: {file: a.yaml, responder_token: "${AGENT_TOKEN}"}\n', "d.yaml"
    )
    assert drill.runbook is not None and drill.runbook.responder_token_env == "AGENT_TOKEN"
    with pytest.raises(InvalidDrill) as caught:
        build_drill(DRILL + "runbook: {file: a.yaml, responder_token: s3cr3t-value}\n", "d.yaml")
    assert str(caught.value) == (
        "d.yaml:12: runbook.responder_token: put the token in an environment variable and write "
        "${VARIABLE_NAME} here"
    )
