"""Helpers shared by the pages and the API: public links and QR codes."""

import segno

from lms.core.links import external_url


def room_url(test) -> str:
    return external_url("take.room", room_code=test.room_code)


def personal_url(access) -> str:
    """Her link on the public address; works in a job as in a request (the invitation)."""
    return external_url("take.personal_link", token=access.token)


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True)
