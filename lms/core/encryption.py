"""Secrets encrypted at rest: columns of type ``EncryptedString`` hold Fernet tokens (AES-128-CBC
with an HMAC-SHA256, from ``cryptography``), and the model attribute stays plain text in Python.

The keys come from ``LMS_ENCRYPTION_KEY``: one or more keys separated by commas, each any string
of at least 32 characters from which the Fernet key is derived with HKDF-SHA256. The first key
encrypts; every key in the list decrypts (MultiFernet), so a key is rotated by putting a new one
first, running ``lms keys reencrypt`` and then dropping the old one. Unset, the key derives from
SECRET_KEY, so development needs no setting (README, "Security").

A value that no configured key decrypts raises ``EncryptionKeyError``: a wrong or missing key is
a configuration error to fix, never a secret silently read as empty.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.types import TypeDecorator

# Binds the derived keys to this use: the same setting could later key something else safely.
HKDF_INFO = b"cascade-lms encrypted columns v1"


class EncryptionKeyError(RuntimeError):
    """A stored value does not decrypt with any configured key."""


def configured_keys(config) -> tuple[str, ...]:
    """The keys of ``LMS_ENCRYPTION_KEY`` in order (the first encrypts), or SECRET_KEY alone."""
    keys = split_keys(config.get("ENCRYPTION_KEY") or "")
    return keys or (config["SECRET_KEY"],)


def split_keys(value: str) -> tuple[str, ...]:
    return tuple(key.strip() for key in value.split(",") if key.strip())


def encrypt(plain: str) -> str:
    return _fernet(configured_keys(current_app.config)).encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(configured_keys(current_app.config)).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise _undecryptable() from None


def reencrypt(token: str) -> str:
    """The same value encrypted with the first key."""
    try:
        return _fernet(configured_keys(current_app.config)).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise _undecryptable() from None


def _undecryptable() -> EncryptionKeyError:
    return EncryptionKeyError(
        "A value encrypted in the database does not decrypt with any key in LMS_ENCRYPTION_KEY "
        "(or with SECRET_KEY, when LMS_ENCRYPTION_KEY is unset): the key is wrong, or the key "
        "that encrypted it was removed from the list. Put that key back in the list."
    )


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derive(key)) for key in keys])


def _derive(key: str) -> bytes:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(key.encode())
    return base64.urlsafe_b64encode(material)


class EncryptedString(TypeDecorator):
    """Text encrypted with the app's key on the way in and decrypted on the way out. The tokens
    are randomised, so the column cannot be searched or compared in SQL, only read."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def encrypted_columns(metadata):
    """(table, column) for every ``EncryptedString`` column of ``metadata``."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
                yield table, column


def reencrypt_all(session, metadata) -> int:
    """Encrypt every stored encrypted value again with the first key (after a key is put first
    in ``LMS_ENCRYPTION_KEY``); returns how many values were rewritten."""
    count = 0
    for table, column in encrypted_columns(metadata):
        [key] = table.primary_key.columns
        # The tokens as stored, and no onupdate timestamps: rewriting a token changes nothing.
        raw = sql_table(table.name, sql_column(key.name), sql_column(column.name, Text))
        token_column = raw.c[column.name]
        rows = session.execute(select(raw.c[key.name], token_column).where(token_column.is_not(None)))
        for identity, token in rows.all():
            session.execute(
                update(raw).where(raw.c[key.name] == identity).values({column.name: reencrypt(token)})
            )
            count += 1
    return count
