"""Account tasks: the password reset email, looked up away from the request so that the
request takes as long for an unknown address as for a known one."""

from celery import shared_task

from lms.accounts import sessions, signin


@shared_task(name="lms.accounts.send_password_reset")
def send_password_reset(email: str) -> bool:
    return signin.send_password_reset(email)


@shared_task(name="lms.accounts.forget_expired_sessions")
def forget_expired_sessions() -> int:
    return sessions.forget_expired()
