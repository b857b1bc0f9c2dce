"""API: tokens, the signed-in person, and people (admins)."""

import marshmallow as ma
from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts import names, onboarding, services, signin
from lms.accounts.models import ROLES, User, UserRole
from lms.accounts.scope import people_in_scope
from lms.api.common import ErrorSchema, PageArgs, page_of, paginate
from lms.core.collation import by_name
from lms.core.errors import NotFound
from lms.core.permissions import can, public, require
from lms.extensions import db

blp = Blueprint("accounts_api", __name__, description="Sign-in tokens and people")


class TokenRequestSchema(ma.Schema):
    email = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)
    name = ma.fields.String(load_default="")
    # The current authenticator code (or a recovery code) when two-factor sign-in is on.
    otp = ma.fields.String(load_default="", load_only=True)


class TokenSchema(ma.Schema):
    id = ma.fields.Integer()
    token = ma.fields.String()
    expires_at = ma.fields.DateTime()


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(required=True)
    full_name = ma.fields.String(required=True)
    full_name_latin = ma.fields.String()
    surname = ma.fields.String(
        metadata={"description": "One of full_name's words; lists sort by it. Guessed when left out."}
    )
    sort_name = ma.fields.String(dump_only=True, metadata={"description": "full_name, surname first."})
    warnings = ma.fields.Method(
        "_warnings", dump_only=True, metadata={"description": "What to check, e.g. a one-word name."}
    )
    phone = ma.fields.String(allow_none=True)
    position = ma.fields.String()
    institution_id = ma.fields.Integer(allow_none=True)
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)))
    region_ids = ma.fields.List(ma.fields.Integer())
    active = ma.fields.Boolean()
    locale = ma.fields.String(validate=ma.validate.OneOf(["uk", "en"]))

    def _warnings(self, user) -> list[str]:
        warning = names.one_word_warning(user.full_name)
        return [str(warning)] if warning else []

    @ma.post_dump(pass_original=True)
    def _sets_as_lists(self, data, original, **kwargs):
        data["roles"] = sorted(original.roles)
        data["region_ids"] = sorted(original.region_ids)
        return data


class UserCreateSchema(UserSchema):
    password = ma.fields.String(load_only=True)
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)), load_default=["participant"])


class UserPatchSchema(UserSchema):
    """Any subset of a person's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class UserQuerySchema(PageArgs):
    q = ma.fields.String(load_default="")
    role = ma.fields.String(load_default=None, validate=ma.validate.OneOf(ROLES))


@blp.route("/auth/tokens", methods=["POST"])
@blp.alt_response(
    403, schema=ErrorSchema, description="The account must set up two-factor sign-in on the website first"
)
@blp.alt_response(
    429, schema=ErrorSchema, description="Too many failed sign-ins for the account or the address"
)
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@public
def create_token(data):
    """Exchange an email and password (and ``otp`` with two-factor on) for a bearer token.

    Public and throttled per account and per address; 429 once over the limit.
    """
    user = signin.token_credentials(data["email"], data["password"], request.remote_addr or "", data["otp"])
    token, plain = services.create_token(user, name=data["name"] or "API")
    db.session.commit()
    return {"id": token.id, "token": plain, "expires_at": token.expires_at}


@blp.route("/auth/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
def revoke_token(token_id: int):
    """Revoke one of your tokens."""
    services.revoke_token(token_id, by=current_user)
    db.session.commit()


@blp.route("/me", methods=["GET"])
@blp.response(200, UserSchema)
def me():
    """The person the token belongs to."""
    return current_user


@blp.route("/users", methods=["GET"])
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, page_of(UserSchema))
def list_users(args):
    """People, surname first in Ukrainian order: everyone for admins; for a coordinator the
    people of her regions (institution in her regions, or enrolled in a training there)."""
    require(current_user, "user.list")
    query = people_in_scope(
        current_user,
        select(User)
        .options(selectinload(User.role_rows), selectinload(User.regions))
        .order_by(by_name(User.sort_name), User.id),
    )
    if args["q"]:
        query = query.where(User.search_text.contains(args["q"].casefold(), autoescape=True))
    if args["role"]:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == args["role"])))
    return paginate(query, args)


@blp.route("/users", methods=["POST"])
@blp.alt_response(409, schema=ErrorSchema, description="Another person already uses this email")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(data):
    """Create a person (admins); she receives the welcome email with her way in."""
    data.pop("active", None)
    user = services.create_user(by=current_user, **data)
    onboarding.queue_welcome(user, by=current_user)
    db.session.commit()
    return services.person(user.id)


@blp.route("/users/<int:user_id>", methods=["GET"])
@blp.response(200, UserSchema)
def get_user(user_id: int):
    return _visible_user(user_id)


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.alt_response(409, schema=ErrorSchema, description="Another person already uses this email")
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
def update_user(data, user_id: int):
    user = _visible_user(user_id)
    services.update_user(user, by=current_user, **data)  # admins; herself for her profile
    db.session.commit()
    return services.person(user.id)


def _visible_user(user_id: int) -> User:
    """A person the caller may see; others are not found, so ids reveal nothing."""
    user = services.person(user_id)
    if user is None or not can(current_user, "user.view", user):
        raise NotFound()
    return user
