"""Every table that holds personal data or points to a person, and how export and erasure treat it.

A new table with a reference to ``users`` must be added here: tests/test_privacy.py fails until it
is, so that no personal data is left out of a person's export or erasure by accident.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PersonalData:
    table: str
    purpose: str
    # Columns whose rows are about the person: these rows go into her export.
    subject: tuple[str, ...] = ()
    # (column, table): rows that belong to one of her rows in ``table`` (attendance of her enrolments).
    through: tuple[str, str] | None = None
    # Columns naming her as the one who acted (marked, enrolled, granted): kept on erasure, they
    # then point to the pseudonymised person.
    actor: tuple[str, ...] = ()
    # Never exported: hashes and secrets.
    secret: tuple[str, ...] = ()
    # Free-text columns of her rows cleared on erasure (they may say more about her).
    cleared_on_erasure: dict[str, object] = field(default_factory=dict)


REGISTRY: dict[str, PersonalData] = {
    entry.table: entry
    for entry in (
        PersonalData(
            "users",
            "profile: name, email, phone, position, employer (pseudonymised on erasure)",
            subject=("id",),
            secret=("password_hash", "session_nonce", "calendar_token", "search_text", "totp_secret"),
        ),
        PersonalData(
            "user_roles", "roles (kept on erasure: statistics count trainers)", subject=("user_id",)
        ),
        PersonalData("coordinator_regions", "regions a coordinator oversees", subject=("user_id",)),
        PersonalData(
            "api_tokens",
            "API tokens (revoked on erasure)",
            subject=("user_id",),
            secret=("token_hash",),
        ),
        PersonalData(
            "cohorts",
            "trainings she leads or planned",
            subject=("lead_trainer_id",),
            actor=("created_by_id",),
        ),
        PersonalData("cohort_trainers", "trainings she co-trains", subject=("user_id",)),
        PersonalData(
            "enrollments",
            "her enrolments (kept on erasure: statistics)",
            subject=("user_id",),
            actor=("enrolled_by_id",),
        ),
        PersonalData(
            "attendance",
            "her attendance (notes cleared on erasure)",
            through=("enrollment_id", "enrollments"),
            actor=("marked_by_id",),
            cleared_on_erasure={"note": ""},
        ),
        PersonalData(
            "accreditations", "courses she may deliver", subject=("user_id",), actor=("granted_by_id",)
        ),
        PersonalData(
            "audit_events",
            "what she did (append-only: kept, pointing to the pseudonymised person)",
            subject=("actor_id",),
        ),
        PersonalData("jobs", "long tasks she started", subject=("created_by_id",)),
        PersonalData(
            "user_sessions", "her signed-in devices (ended on erasure)", subject=("user_id",), secret=("id",)
        ),
        PersonalData(
            "recovery_codes", "two-factor recovery codes", subject=("user_id",), secret=("code_hash",)
        ),
        PersonalData("security_settings", "who last changed the sign-in policy", actor=("updated_by_id",)),
        PersonalData("question_versions", "test questions she wrote", actor=("created_by_id",)),
        PersonalData(
            "attempts",
            "her pre/post tests and scores (kept on erasure: statistics)",
            through=("enrollment_id", "enrollments"),
            actor=("entered_by_id",),
        ),
        PersonalData(
            "access_passes",
            "her personal test links",
            through=("enrollment_id", "enrollments"),
            secret=("token", "code"),
        ),
        PersonalData(
            "certificates",
            "her certificates as printed (kept on erasure: the verification page then shows only "
            "that the certificate is valid)",
            subject=("user_id",),
            actor=("issued_by_id",),
        ),
        PersonalData(
            "trainer_lineage",
            "her place in the cascade (who certified her)",
            subject=("user_id",),
            actor=("parent_id", "root_id"),
        ),
        PersonalData(
            "step_down_events",
            "step-down events she delivered",
            subject=("trainer_id",),
            actor=("created_by_id",),
        ),
        PersonalData(
            "cascade_nudges", "reminders and digests sent to her about the cascade", subject=("user_id",)
        ),
        PersonalData(
            "cascade_settings", "who last changed the cascade reminders' switches", actor=("updated_by_id",)
        ),
    )
}
