"""The embedded broker never shows a worker a message that is still being written."""

import os

from kombu import Connection

from lms.core import broker


def connection(folder) -> Connection:
    folder.mkdir(exist_ok=True)
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False}
    return Connection("filesystem://", transport_options=options)


def test_a_message_appears_in_the_queue_only_once_complete(tmp_path, monkeypatch):
    broker.use_atomic_filesystem_broker()
    folder = tmp_path / "queue"
    visible_while_writing = []
    rename = os.replace

    def spy(source, target):
        visible_while_writing.append(sorted(n for n in os.listdir(folder) if n.endswith(".msg")))
        rename(source, target)

    monkeypatch.setattr(broker.os, "replace", spy)
    with connection(folder) as conn:
        channel = conn.channel()
        assert isinstance(channel, broker.Channel)
        channel._put("lms-test", {"body": "привіт"})
        assert visible_while_writing == [[]]
        assert channel._get("lms-test") == {"body": "привіт"}
    assert os.listdir(folder) == []


def test_the_app_uses_the_atomic_transport_for_filesystem_urls(app):
    celery = app.extensions["celery"]
    with celery.connection_for_write("filesystem://") as conn:
        assert isinstance(conn.transport, broker.Transport)
