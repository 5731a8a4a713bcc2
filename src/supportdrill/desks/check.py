"""``supportdrill desk check``: build a drill's desk, read from it, and say what it can see.

Only reads: nothing is filed, commented or triggered. Configuration mistakes (a wrong setting,
refused credentials, a wrong id in the drill) are :class:`~supportdrill.errors.InvalidConfiguration`
(exit 2); a desk that fails otherwise is a :class:`~supportdrill.errors.DeskError` (exit 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ..clock import Clock
from ..definitions.desk_settings import DEFAULT_PERSONA, SimulatedSettings
from ..definitions.model import DeskConfig, DeskKind
from ..errors import DeskAuthFailed, DeskRejected, InvalidConfiguration
from ..secrets import Redactor
from .base import Desk, desk_settings, open_desk
from .webhooks import check_receiver

VIEWS = {
    "requester": "the vendor's customer: public messages only, no internal notes, no SLA clocks",
    "agent": "the vendor's agent: internal notes (skipped, never timed), channels, SLA clocks",
    "owner": "our own desk or on-call: everything it records",
}


async def check_desk(
    config: DeskConfig,
    *,
    secrets_env: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[str]:
    """What ``supportdrill desk check`` prints for a drill's desk: credentials, permissions,
    agent or requester view, and what it can and cannot see (author roles, channels, status
    history, the vendor's SLA clocks). Only reads: it never files, comments or triggers.

    Raises :class:`~supportdrill.errors.InvalidConfiguration` (exit 2) when the configuration
    is wrong: unknown or missing settings, a secret variable unset or empty, credentials or
    permissions refused (401/403), another 4xx on a read (a wrong subdomain path, service desk,
    request type or repository), an account that does not fit ``mode``. Any other
    :class:`~supportdrill.errors.DeskError` (unreachable, timeout, 5xx, 429, an answer we cannot
    read) means the desk failed (exit 1). Messages are redacted.
    """
    redactor = redactor if redactor is not None else Redactor()
    if config.kind is DeskKind.SIMULATED and not config.settings.get("url"):
        return await _check_embedded_simulated(config, clock)
    desk = open_desk(
        config, secrets_env=secrets_env, clock=clock, redactor=redactor, transport=transport
    )
    try:
        return await describe_desk(desk)
    except DeskAuthFailed as exc:
        raise InvalidConfiguration(
            redactor.redact(f"desk {config.kind.value}: credentials or permissions refused: {exc}")
        ) from exc
    except DeskRejected as exc:
        raise InvalidConfiguration(
            redactor.redact(
                f"desk {config.kind.value}: the desk refused a read; check the URL and ids in "
                f"the drill: {exc}"
            )
        ) from exc
    finally:
        await desk.close()


async def describe_desk(desk: Desk) -> list[str]:
    """:meth:`Desk.check` on a desk already built, followed by what its view lets us see."""
    caps = desk.capabilities
    lines = await desk.check()
    lines.append(f"{desk.name}: credentials accepted; nothing was filed")
    lines.append(f"{desk.name}: view: {caps.view} ({VIEWS.get(caps.view, caps.view)})")
    for note in caps.notes:
        line = f"{desk.name}: cannot see: {note}"
        if line not in lines:
            lines.append(line)
    if desk.accepts_webhooks or desk.webhook is not None:
        lines.extend(await check_receiver(desk.name, desk.webhook))
    seen = {
        "author roles": caps.author_roles,
        "channels": caps.channels,
        "status history": caps.status_history,
        "vendor SLA clocks": caps.vendor_sla_clocks,
        "webhooks": caps.webhooks,
    }
    lines.append(
        f"{desk.name}: sees " + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in seen.items())
    )
    return lines


async def _check_embedded_simulated(config: DeskConfig, clock: Clock | None) -> list[str]:
    # Started the one way the runner starts it (desks/simulated/launch.py). Without the drill
    # there is no vendor zone or coverage: ``supportdrill desk check DRILL`` goes through
    # ``DeskLaunch.for_drill`` instead, which has both.
    from .simulated.launch import DEFAULT_TIMEZONE, DeskLaunch, check_embedded
    from .simulated.personas import BUSINESS_HOURS

    settings = desk_settings(config)
    assert isinstance(settings, SimulatedSettings)
    spec = DeskLaunch(
        persona=settings.persona or DEFAULT_PERSONA,
        timezone=settings.timezone or DEFAULT_TIMEZONE,
        hours=settings.hours or BUSINESS_HOURS,
        delays=settings.delays,
    )
    return await check_embedded(spec, clock=clock)
