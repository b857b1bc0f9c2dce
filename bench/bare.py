"""What the pages benchmark serves: the product, plus a bare endpoint as the ceiling.

``gunicorn bench.bare:app`` serves the real ``wsgi.app`` and, under ``/_bare/<id>``, a tiny
Flask app that reads one person by primary key from the same database and answers JSON. Both
run in the same workers, so the ratio between them shows what the product's own work costs on
this machine at this moment. It is a benchmark fixture, not a route of the product.
"""

import os

import sqlalchemy as sa
from flask import Flask, abort, jsonify
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from wsgi import app as product

bare = Flask("bare")
engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
QUERY = sa.text("SELECT id, email FROM users WHERE id = :id")


@bare.get("/<int:user_id>")
def one_row(user_id: int):
    with engine.connect() as connection:
        row = connection.execute(QUERY, {"id": user_id}).first()
    if row is None:
        abort(404)
    return jsonify(id=row.id, email=row.email)


app = DispatcherMiddleware(product, {"/_bare": bare})
