"""The drill's ``runbook:`` section and runbook files: what the on-call does, step by step.

A runbook drill proves an incident runbook in CI: the fault stays in place (``lift_fault:
never``), the drill pages the on-call, and the stream must be restored by what the runbook does —
typically failing the stream over to a backup media path (``failover:``) through the harness's
control endpoint. Either a person (or the team's own automation) follows the runbook, or the
harness's scripted responder does, step by step::

    runbook:
      file: runbooks/edge-failover.runbook.yaml   # or inline: steps: [...]
      failover: {primary: Singapore, backup: Frankfurt, listen: "127.0.0.1:0"}

A runbook file::

    name: edge-failover
    responder: Earline Greenholt (on-call)
    steps:
      - {after: 5s, do: acknowledge, text: "Ack: following RB-12."}
      - {after: 3s, do: failover, path: backup}
      - {after: 10s, do: resolve, text: "Restored through the backup region."}

``after`` is the wait since the previous step (the first: since the ticket was filed). Pure:
:func:`parse_runbook` takes text; only :func:`supportdrill.definitions.loader.load_drill` reads
the file a drill names.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from datetime import timedelta

from .reader import Section, read_document, suggest

PRIMARY = "primary"
BACKUP = "backup"
_PATH_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StepKind(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    """Answer the ticket as the on-call (a human reply) and mark it open/acknowledged."""
    COMMENT = "comment"
    FAILOVER = "failover"
    """Switch the stream's media to the named path through the failover control endpoint."""
    RESOLVE = "resolve"
    """Mark the ticket solved/resolved, with a closing comment."""


@dataclass(frozen=True)
class RunbookStep:
    kind: StepKind
    after: timedelta
    """Wait this long after the previous step (the first: after the ticket was filed)."""
    text: str = ""
    path: str = ""
    """For ``failover``: the media path to switch to."""
    line: int = 0
    """Where the step is in its file, for the responder's notes."""


@dataclass(frozen=True)
class Runbook:
    name: str
    steps: tuple[RunbookStep, ...]
    responder: str = "scripted responder"
    source: str = ""
    """The file it came from, or ``inline``."""


@dataclass(frozen=True)
class FailoverSpec:
    """Two media paths for the stream: the primary the fault hits, and a clean backup."""

    primary: str = PRIMARY
    backup: str = BACKUP
    listen: str = "127.0.0.1:0"
    """The control endpoint's address: loopback only."""

    @property
    def paths(self) -> tuple[str, str]:
        return self.primary, self.backup


@dataclass(frozen=True)
class RunbookSpec:
    """The drill's ``runbook:`` section; ``script`` is None until the file is read (or none
    was named: a person follows the runbook)."""

    file: str | None = None
    failover: FailoverSpec | None = None
    script: Runbook | None = None
    responder_token_env: str | None = None
    """The environment variable holding the scripted responder's own API token (never the
    token): PagerDuty's REST key of the responding user, Jira's API token of the agent."""


_STEP_KEYS = {"after", "do", "text", "path"}


def _step(section: Section, paths: tuple[str, ...] | None) -> RunbookStep:
    section.only(_STEP_KEYS)
    kind = section.choice("do", StepKind)
    after = section.duration("after", timedelta(0), positive=False)  # never negative: "-5s" fails
    text = section.string("text", "")
    path = section.string("path", "")
    if kind is StepKind.FAILOVER:
        if not path:
            section.fail("a failover step names the path to switch to", "path", line=section.line)
        if paths is not None and path not in paths:
            # A typo'd region is a broken runbook, and the drill exists to catch it: allowed,
            # but only when the drill declares no paths to check against.
            section.fail(f"unknown media path {path!r}{suggest(path, list(paths))}", "path")
    elif path:
        section.fail(f"only a failover step takes a path, not {kind.value}", "path")
    if kind in (StepKind.COMMENT,) and not text:
        section.fail("a comment step needs text", "text", line=section.line)
    return RunbookStep(kind, after, text, path, section.line)


def runbook_of(section: Section, *, source: str, paths: tuple[str, ...] | None) -> Runbook:
    """A runbook from a mapping with ``steps`` (a runbook file, or inline in a drill)."""
    steps = tuple(_step(item, paths) for item in section.sections("steps"))
    if not steps:
        section.fail("needs at least one step", "steps")
    return Runbook(
        name=section.string("name", "runbook"),
        steps=steps,
        responder=section.string("responder", "scripted responder"),
        source=source,
    )


def parse_runbook(text: str | bytes, path: str, *, paths: tuple[str, ...] | None = None) -> Runbook:
    """A runbook file; ``paths`` (the drill's media paths) checks failover steps if given."""
    root = Section(read_document(text, path), path)
    root.only({"name", "description", "responder", "steps"})
    return runbook_of(root, source=path, paths=paths)


def _listen(value: object) -> str:
    host, _, port = str(value).rpartition(":")
    try:
        address = ipaddress.ip_address(host)
        number = int(port)
    except ValueError as exc:
        raise ValueError(f"{value!r}: write HOST:PORT, e.g. 127.0.0.1:8700") from exc
    if not address.is_loopback:
        raise ValueError(f"{value!r}: the control endpoint listens on loopback only")
    if not 0 <= number <= 65535:
        raise ValueError(f"{value!r}: port must be 0 to 65535")
    return f"{address}:{number}"


def _failover(section: Section) -> FailoverSpec:
    section.only({"primary", "backup", "listen"})
    names = []
    for key, default in (("primary", PRIMARY), ("backup", BACKUP)):
        name = section.string(key, default)
        if not _PATH_NAME.fullmatch(name):
            section.fail("use lower-case letters, digits, '-' or '_' (at most 40)", key)
        names.append(name)
    if names[0] == names[1]:
        section.fail("the backup path needs a name of its own", "backup")
    listen = section.parsed("listen", _listen, "127.0.0.1:0")
    return FailoverSpec(names[0], names[1], listen)


def _token_env(section: Section) -> str | None:
    text = section.string("responder_token", None)
    if text is None:
        return None
    reference = _ENV_REFERENCE.fullmatch(text)
    if reference is None:
        section.fail(
            "put the token in an environment variable and write ${VARIABLE_NAME} here",
            "responder_token",
        )
    return reference.group(1)


def parse_runbook_section(section: Section) -> RunbookSpec:
    """The drill's ``runbook:`` section: a ``file`` or inline ``steps``, ``failover``, and the
    responder's ``responder_token``."""
    section.only({"file", "steps", "failover", "responder", "name", "responder_token"})
    token = _token_env(section)
    failover = _failover(section.section("failover")) if "failover" in section else None
    paths = failover.paths if failover is not None else None
    if "file" in section and "steps" in section:
        section.fail("give either file or steps, not both", "steps")
    if "steps" in section:
        script = runbook_of(section, source="inline", paths=paths)
        return RunbookSpec(None, failover, script, token)
    for key in ("responder", "name"):
        if key in section:
            section.fail("belongs in the runbook file (or with inline steps)", key)
    return RunbookSpec(section.string("file", None), failover, None, token)


__all__ = [
    "BACKUP",
    "PRIMARY",
    "FailoverSpec",
    "Runbook",
    "RunbookSpec",
    "RunbookStep",
    "StepKind",
    "parse_runbook",
    "parse_runbook_section",
]
