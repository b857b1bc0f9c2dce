"""Schemas and helpers every API module uses: pagination, dates, the error body."""

import marshmallow as ma

from lms.extensions import db

MAX_PER_PAGE = 500
# Ids are 32-bit integers on PostgreSQL; a page past this would ask the database for an offset it
# cannot hold, so it is refused as a bad field rather than reaching the query.
MAX_PAGE = 2**31 - 1


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


class ErrorBody(ma.Schema):
    code = ma.fields.String()
    message = ma.fields.String()
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBody)


class JobSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    status = ma.fields.String()
    progress = ma.fields.Integer()
    total = ma.fields.Integer()
    result = ma.fields.Dict(allow_none=True)
    error = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer(metadata={"description": "How many times a worker started it"})
    interrupted = ma.fields.Method(
        "_interrupted", metadata={"description": "Its worker stopped; it resumes by itself (lms.core.jobs)"}
    )

    def _interrupted(self, job) -> bool:
        from lms.core.jobs import is_late

        return is_late(job)


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """A list response: ``{"items", "total", "page", "per_page"}``."""
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "total": ma.fields.Integer(),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
        },
    )


def paginate(query, args: dict) -> dict:
    page = db.paginate(
        query, page=args["page"], per_page=args["per_page"], max_per_page=MAX_PER_PAGE, error_out=False
    )
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}
