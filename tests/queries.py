"""Counting the SQL a request runs, so that tests can hold pages to a constant number of queries.

``count_queries()`` collects the statements of any block. ``request_statements()`` runs one GET
as a signed-in person (a browser session for pages, a bearer token for ``/api/``) and returns
the statements it sent, without the savepoints the test transaction adds. The parametrised
module ``tests/test_query_counts.py`` uses them for every list and detail page and endpoint:
a new route is one entry there.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db

# The test transaction wraps each request's session in a SAVEPOINT: not the page's own work.
_HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect every statement sent to the database inside the block (savepoints included)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def request_statements(client, user, path: str) -> list[str]:
    """The statements one ``GET path`` by ``user`` runs (it must answer 200)."""
    from tests.conftest import api_headers, sign_in

    headers = {}
    if path.startswith("/api/"):
        headers = api_headers(user)
        # The first use of a token records when it was used; done here, it is not counted.
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    else:
        sign_in(client, user)
    db.session.flush()
    with count_queries() as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
    return [s for s in statements if not s.lstrip().upper().startswith(_HARNESS)]
