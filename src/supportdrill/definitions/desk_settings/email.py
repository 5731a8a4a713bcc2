"""Email (SMTP out, IMAP in): ``address``, ``support_address``, ``smtp_host``/``smtp_port``,
``imap_host``/``imap_port``, ``password`` (IMAP), ``imap_user``, ``smtp_user``, ``smtp_password``,
``smtp_starttls``, ``imap_ssl``, ``mailbox``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from .base import DeskSettings, Fields, SecretRef, SettingsError

_KNOWN = {
    "address",
    "support_address",
    "smtp_host",
    "smtp_port",
    "imap_host",
    "imap_port",
    "password",
    "imap_user",
    "smtp_user",
    "smtp_password",
    "smtp_starttls",
    "imap_ssl",
    "mailbox",
}


def _address(fields: Fields, key: str) -> str:
    value = fields.text(key)
    if "@" not in value:
        raise SettingsError(key, f"must be an email address, got {value!r}")
    return value


@dataclass(frozen=True)
class EmailSettings(DeskSettings):
    address: str
    support_address: str
    smtp_host: str
    imap_host: str
    password: SecretRef
    imap_user: str
    smtp_port: int = 587
    imap_port: int = 993
    smtp_user: str = ""
    smtp_password: SecretRef | None = None
    smtp_starttls: bool = False
    imap_ssl: bool = False
    mailbox: str = "INBOX"

    kind = "email"
    adapter = "supportdrill.desks.email:EmailDesk"

    @classmethod
    def parse(cls, settings: Mapping[str, str], secrets: Mapping[str, str]) -> Self:
        fields = Fields(settings, secrets, _KNOWN)
        address = _address(fields, "address")
        return cls(
            address=address,
            support_address=_address(fields, "support_address"),
            smtp_host=fields.text("smtp_host"),
            smtp_port=fields.port("smtp_port", 587),
            imap_host=fields.text("imap_host"),
            imap_port=fields.port("imap_port", 993),
            password=fields.secret("password"),
            imap_user=fields.text("imap_user", address),
            smtp_user=fields.text("smtp_user", ""),
            smtp_password=fields.optional_secret("smtp_password"),
            smtp_starttls=fields.flag("smtp_starttls"),
            imap_ssl=fields.flag("imap_ssl"),
            mailbox=fields.text("mailbox", "INBOX"),
        )


SETTINGS = EmailSettings
