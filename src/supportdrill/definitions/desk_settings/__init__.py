"""Typed settings for each desk kind and for the status page: pure parsers, checked at validate.

A drill's ``desk:`` section arrives as a :class:`~supportdrill.definitions.model.DeskConfig` (plain
strings plus the *names* of secrets). :func:`parse_desk_settings` turns it into the frozen settings
object of its kind (:class:`ZendeskSettings`, :class:`SimulatedSettings`...), or raises
:class:`SettingsError` naming the key. The drill loader calls it, so ``supportdrill validate``
refuses a misspelt or malformed setting with ``file:line: vendor.desk.key: message`` and a
did-you-mean, before anything starts; :func:`supportdrill.desks.base.open_desk` calls it again to
build the adapter, so every desk is built from exactly what validate accepted.

**Why here, inside definitions/.** The settings are part of the drill definition and must be
usable by the pure loader. The adapters live in :mod:`supportdrill.desks`, which does I/O and
already imports definitions/ (the simulated personas read coverage from it); putting the settings
beside the adapters would make definitions/ import desks/ and close a package cycle. So the
dependency runs one way: ``desks → definitions.desk_settings``. Each settings class names its
adapter as a ``"module:Class"`` string (like an entry point), which ``open_desk`` imports lazily:
a real-desk drill never loads the simulated desk, and nothing here imports I/O code.

**Adding a desk kind:** a settings module here named like the kind (its class bound to
``SETTINGS``), an adapter module in desks/ with a ``from_settings`` classmethod, and one
registration line: the :class:`DeskKind` member. :func:`settings_class` finds the rest.
"""

from __future__ import annotations

import importlib

from ..model import DeskConfig, DeskKind
from ..personas import DEFAULT_PERSONA, PERSONA_NAMES, PERSONA_STEPS
from .base import DeskSettings, SecretRef, SettingsError, WebhookSettings, parse_listen
from .email import EmailSettings
from .freshdesk import FreshdeskSettings
from .github import GithubSettings
from .jsm import JsmSettings
from .pagerduty import PagerDutySettings
from .simulated import SimulatedSettings
from .statuspage import StatuspageSettings
from .zendesk import ZendeskSettings


def settings_class(kind: DeskKind) -> type[DeskSettings]:
    """The settings class of ``kind``: ``SETTINGS`` in the module named like the kind.

    The :class:`DeskKind` member is the one registration line of a desk kind; its settings
    module (``desk_settings/<kind>.py``) and its adapter are its own files.
    """
    module = importlib.import_module(f"{__name__}.{kind.value}")
    found = getattr(module, "SETTINGS", None)
    if not (isinstance(found, type) and issubclass(found, DeskSettings)):
        raise TypeError(f"{module.__name__} has no SETTINGS class")
    return found


def parse_desk_settings(config: DeskConfig) -> DeskSettings:
    """The typed settings of ``config``'s kind; :class:`SettingsError` naming the key if wrong."""
    return settings_class(config.kind).parse(config.settings, config.secrets)


__all__ = [
    "DEFAULT_PERSONA",
    "PERSONA_NAMES",
    "PERSONA_STEPS",
    "DeskSettings",
    "EmailSettings",
    "FreshdeskSettings",
    "GithubSettings",
    "JsmSettings",
    "PagerDutySettings",
    "SecretRef",
    "SettingsError",
    "SimulatedSettings",
    "StatuspageSettings",
    "WebhookSettings",
    "ZendeskSettings",
    "parse_desk_settings",
    "parse_listen",
    "settings_class",
]
