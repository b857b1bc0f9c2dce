"""Demo data: the programme's sign-in policy, with two-factor not yet required so that the demo
accounts sign in with the password alone (an admin switches it on at /admin/security)."""

from lms.accounts.models import SecuritySettings
from lms.extensions import db


def load(people) -> dict[str, int]:
    if db.session.get(SecuritySettings, 1) is None:
        db.session.add(SecuritySettings(id=1, require_two_factor=False))
    return {"security_settings": 1}
