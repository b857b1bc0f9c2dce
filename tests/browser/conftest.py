"""A real server with the demo data, and headless Chromium driven by Playwright."""

import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from lms import create_app
from lms.extensions import db
from tests.conftest import app_config
from tests.services import unavailable

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(os.environ.get("LMS_SCREENSHOTS", "/tmp/lms-screenshots"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app with CSRF on and the demo programme loaded, as a person would meet it."""
    from seed.demo import load_demo

    instance = tmp_path_factory.mktemp("browser")
    application = create_app(
        app_config(f"sqlite:///{instance / 'browser.sqlite3'}", instance, WTF_CSRF_ENABLED=True)
    )
    with application.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        db.session.remove()
    return application


@pytest.fixture(scope="session")
def server_url(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        unavailable("Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport=DESKTOP, base_url=server_url, locale="uk-UA")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, server_url):
    context = browser.new_context(
        viewport=PHONE, base_url=server_url, is_mobile=True, has_touch=True, locale="uk-UA"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, email: str, password: str = "cascade-demo") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")
