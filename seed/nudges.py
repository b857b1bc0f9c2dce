"""Demo data: this week's cascade reminders, sent through the real path.

Viktor Tkachenko has delivered nothing since his ToT, so he gets the weekly reminder and the
Cherkasy coordinator the list of her region's dormant trainers and the month's digest. The
emails are delivered here (to ``instance/mail`` without SMTP) so the admins' page shows them
sent; a second run of the demo, like a second run of the beat, sends nothing again.
"""

from sqlalchemy import func, select

from lms.cascade.models import Nudge
from lms.cascade.nudges import services as nudges
from lms.core.i18n import local_today
from lms.extensions import db


def load(people: dict) -> dict:
    nudges.send_due(local_today())
    db.session.flush()
    for nudge_id in db.session.scalars(select(Nudge.id).where(Nudge.status == "queued")).all():
        nudges.deliver(nudge_id)
    db.session.flush()
    sent = db.session.scalar(select(func.count(Nudge.id)).where(Nudge.status == "sent")) or 0
    return {"nudges_sent": sent}
