"""Background work of the accounts package: the welcome email, the password reset email (looked
up away from the request, so that the request takes as long for an unknown address as for a
known one), and forgetting ended sessions."""

from celery import shared_task

from lms.accounts import onboarding, sessions, signin
from lms.accounts.models import User
from lms.core import mail
from lms.extensions import db


@shared_task(name="lms.accounts.send_welcome", autoretry_for=(OSError,), max_retries=8)
def send_welcome(user_id: int) -> str | None:
    """Compose the welcome email of ``user_id`` in her language and deliver it."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    subject, body = onboarding.welcome_text(user)
    # Named by the person and her nonce: a redelivered task rewrites the same message.
    message_id = f"welcome-{user.id}-{user.session_nonce}@cascade-lms"
    return mail.deliver(mail.build_message(user.email, subject, body, [], message_id))


@shared_task(name="lms.accounts.send_password_reset")
def send_password_reset(email: str) -> bool:
    return signin.send_password_reset(email)


@shared_task(name="lms.accounts.forget_expired_sessions")
def forget_expired_sessions() -> int:
    return sessions.forget_expired()
