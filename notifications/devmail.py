"""The development SMTP sink and the mailbox it fills.

The sink is a real SMTP server (aiosmtpd): Django's SMTP backend talks to it
exactly as it would to a production relay. Each message is stored as one
``.eml`` file, and ``/dev/inbox/`` reads them back. Plain Python, no Django:
the demo starts the sink before Django is set up.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailboxHandler:
    """Stores each message, its envelope recipients first (as ``X-Envelope-To``).

    ``fail_next`` makes the next messages fail with a given SMTP reply, as a real relay
    does when it is busy (4xx) or refuses an address (5xx): the tests of retries use it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.faults: list[str] = []
        self.attempts = 0

    def fail_next(self, reply: str, times: int = 1) -> None:
        self.faults.extend([reply] * times)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.faults:
            return self.faults.pop(0)
        content: bytes = envelope.original_content or envelope.content
        recipients = ", ".join(getattr(envelope, "rcpt_tos", None) or []).encode()
        content = b"X-Envelope-To: " + recipients + b"\r\n" + content
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(content)
        # Rename is atomic: a reader never sees half a message.
        tmp.rename(self.directory / name)
        return "250 Message accepted for delivery"


def start_sink(host: str, port: int, directory: Path) -> Controller:
    # aiosmtpd logs every SMTP command at INFO: thousands of lines for a benchmark or a demo.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(MailboxHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


@dataclass(frozen=True)
class StoredMessage:
    id: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    @property
    def envelope_to(self) -> list[str]:
        value = str(self.message.get("X-Envelope-To", ""))
        return [a.strip() for a in value.split(",") if a.strip()]

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("From", ""))

    @property
    def date(self) -> str:
        return str(self.message.get("Date", ""))

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in self.message.items()]

    def _part(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None:
            return None
        content: str = part.get_content()
        return content

    @property
    def text(self) -> str | None:
        return self._part("plain")

    @property
    def html(self) -> str | None:
        return self._part("html")


class Mailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.eml"), reverse=True)

    def _load(self, path: Path) -> StoredMessage:
        parser = email.parser.BytesParser(_class=EmailMessage, policy=email.policy.default)
        return StoredMessage(id=path.stem, message=parser.parsebytes(path.read_bytes()))

    def messages(self) -> list[StoredMessage]:
        """Newest first."""
        return [self._load(path) for path in self._files()]

    def get(self, message_id: str) -> StoredMessage | None:
        path = self.directory / f"{message_id}.eml"
        # The id comes from a URL: accept only names this sink writes.
        if "/" in message_id or message_id.startswith(".") or not path.is_file():
            return None
        return self._load(path)

    def clear(self) -> None:
        for path in self._files():
            path.unlink(missing_ok=True)
