"""Email: composed here, sent by a Celery task through SMTP or written to ``instance/mail``."""

import base64
import email.policy
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from lms.core.outbox import enqueue
from lms.core.text import one_line

# Python 3.11 drops the space where it folds a long non-ASCII header into encoded words
# ("допомоги особам" arrives as "допомогиособам"), so headers are written unfolded.
_UNFOLDED = email.policy.default.clone(max_line_length=None)


def queue_email(to: str, subject: str, body: str, attachments: list[tuple[str, str, bytes]] | None = None):
    """Send ``body`` to ``to`` after the current transaction commits.

    ``attachments`` holds ``(filename, mime_type, content)`` triples.
    """
    files = [
        {"filename": name, "mime": mime, "content": base64.b64encode(content).decode()}
        for name, mime, content in attachments or []
    ]
    return enqueue(
        "lms.core.send_email",
        to=to,
        subject=one_line(str(subject)),  # a line break in a header would break the message
        body=str(body),
        attachments=files,
        message_id=f"{uuid.uuid4()}@cascade-lms",
    )


def build_message(to: str, subject: str, body: str, attachments: list[dict], message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(body)
    for item in attachments:
        maintype, subtype = item["mime"].split("/", 1)
        message.add_attachment(
            base64.b64decode(item["content"]), maintype=maintype, subtype=subtype, filename=item["filename"]
        )
    return message


def deliver(message: EmailMessage) -> str:
    """Send through SMTP when configured; otherwise write an .eml file. Returns where it went."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.sendmail(
                message["From"], [message["To"]], message.as_bytes(policy=_UNFOLDED.clone(linesep="\r\n"))
            )
        return f"smtp:{config['MAIL_SERVER']}"
    folder = Path(config["MAIL_OUTBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    # The Message-ID names the file, so a retried task overwrites rather than duplicates.
    path = folder / f"{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    path.write_bytes(message.as_bytes(policy=_UNFOLDED))
    return str(path)
