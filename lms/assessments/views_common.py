"""Helpers shared by the pages and the API: public links and QR codes."""

import segno
from flask import current_app, url_for


def absolute(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def room_url(test) -> str:
    return absolute(url_for("take.room", room_code=test.room_code))


def personal_url(access) -> str:
    return absolute(url_for("take.personal_link", token=access.token))


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True)
