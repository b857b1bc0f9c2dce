"""report figures kept as they are written: per-cohort stamps and figures, people by group

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28 22:00:00

``report_cohort_stamps``: a version per cohort that triggers bump on every write that changes
the cohort's report figures (its enrolments, valid certificates, scored attempts and tests),
whatever makes it: the services, the seed, bulk SQL, paper entry. ``report_cohort_figures``: the
figures computed from those rows, valid while their version equals the stamp (no stamp row:
version 0). ``report_people_stamp`` / ``report_people_groups``: the same for everyone's
institution type and position. Existing databases start with no figures: the first report (or
the periodic refresh) computes them.

An update trigger fires only when a column the figures read changes (``WHEN``), so saving an
answer (``responses``) or starting an attempt costs nothing. On SQLite a table rebuilt by a
later ``batch_alter_table`` loses its triggers: such a migration must make them again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SCORED = "{row}.submitted_at IS NOT NULL AND {row}.score_percent IS NOT NULL"
# (table, columns an update must change, whether an inserted or deleted row counts)
COHORT_ROWS = (
    ("enrollments", ("status", "cohort_id", "user_id"), None),
    ("certificates", ("status", "kind", "cohort_id", "user_id"), None),
    ("cohort_tests", ("phase", "cohort_id"), None),
    ("attempts", ("score_percent", "submitted_at", "test_id", "enrollment_id"), SCORED),
)

POSTGRES_FUNCTIONS = """
CREATE FUNCTION report_stamp_cohorts(VARIADIC ids integer[]) RETURNS void LANGUAGE sql AS $$
    -- From cohorts: a cohort being deleted (its rows go by cascade) gets no stamp.
    INSERT INTO report_cohort_stamps AS stamp (cohort_id, version)
    SELECT id, 1 FROM cohorts WHERE id = ANY(ids) ORDER BY id
    ON CONFLICT (cohort_id) DO UPDATE SET version = stamp.version + 1
$$;

CREATE FUNCTION report_cohort_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM report_stamp_cohorts(NEW.cohort_id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM report_stamp_cohorts(OLD.cohort_id);
    ELSE
        PERFORM report_stamp_cohorts(OLD.cohort_id, NEW.cohort_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION report_attempt_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM report_stamp_cohorts(VARIADIC ARRAY(SELECT cohort_id FROM cohort_tests WHERE id = NEW.test_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM report_stamp_cohorts(VARIADIC ARRAY(SELECT cohort_id FROM cohort_tests WHERE id = OLD.test_id));
    ELSE
        PERFORM report_stamp_cohorts(
            VARIADIC ARRAY(SELECT cohort_id FROM cohort_tests WHERE id IN (OLD.test_id, NEW.test_id))
        );
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION report_people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_people_stamp AS stamp (id, version) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET version = stamp.version + 1;
    RETURN NULL;
END
$$;
"""


def _distinct(columns, *, postgres: bool) -> str:
    differs = "IS DISTINCT FROM" if postgres else "IS NOT"
    return " OR ".join(f"OLD.{column} {differs} NEW.{column}" for column in columns)


def _postgres_triggers() -> list[str]:
    statements = []
    for table, columns, counts in COHORT_ROWS:
        function = "report_attempt_changed" if table == "attempts" else "report_cohort_row_changed"
        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
            when = f" WHEN ({counts.format(row=row)})" if counts else ""
            statements.append(
                f"CREATE TRIGGER report_{table}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW{when} EXECUTE FUNCTION {function}()"
            )
        statements.append(
            f"CREATE TRIGGER report_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({_distinct(columns, postgres=True)}) EXECUTE FUNCTION {function}()"
        )
    for table, columns in (("users", ("institution_id", "position")), ("institutions", ("type",))):
        statements.append(
            f"CREATE TRIGGER report_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({_distinct(columns, postgres=True)}) EXECUTE FUNCTION report_people_changed()"
        )
    return statements


def _sqlite_stamp(cohorts: str) -> str:
    """Bump the stamps of the cohorts ``cohorts`` selects (``SELECT id ...``)."""
    return (
        f"INSERT INTO report_cohort_stamps (cohort_id, version) {cohorts} "
        "ON CONFLICT (cohort_id) DO UPDATE SET version = version + 1;"
    )


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, columns, counts in COHORT_ROWS:
        for event, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)), ("UPDATE", ("OLD", "NEW"))):
            if table == "attempts":
                tests = ", ".join(f"{row}.test_id" for row in rows)
                cohorts = f"SELECT DISTINCT cohort_id, 1 FROM cohort_tests WHERE id IN ({tests})"  # noqa: S608  # nosec B608
            else:
                ids = ", ".join(f"{row}.cohort_id" for row in rows)
                cohorts = f"SELECT id, 1 FROM cohorts WHERE id IN ({ids})"  # noqa: S608  # nosec B608
            if event == "UPDATE":
                head = f"AFTER UPDATE OF {', '.join(columns)} ON {table} WHEN {_distinct(columns, postgres=False)}"
            else:
                head = f"AFTER {event} ON {table}" + (f" WHEN {counts.format(row=rows[0])}" if counts else "")
            statements.append(
                f"CREATE TRIGGER report_{table}_{event.lower()} {head} BEGIN {_sqlite_stamp(cohorts)} END"
            )
    for table, columns in (("users", ("institution_id", "position")), ("institutions", ("type",))):
        statements.append(
            f"CREATE TRIGGER report_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "  # noqa: S608
            f"WHEN {_distinct(columns, postgres=False)} BEGIN "
            "INSERT INTO report_people_stamp (id, version) VALUES (1, 1) "
            "ON CONFLICT (id) DO UPDATE SET version = version + 1; END"
        )
    return statements


def _trigger_names() -> list[tuple[str, str]]:
    names = [
        (f"report_{table}_{event}", table)
        for table, _columns, _counts in COHORT_ROWS
        for event in ("insert", "delete", "update")
    ]
    return names + [("report_users_update", "users"), ("report_institutions_update", "institutions")]


def upgrade():
    op.create_table(
        "report_cohort_stamps",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("version >= 0", name=op.f("ck_report_cohort_stamps_version")),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_report_cohort_stamps_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_report_cohort_stamps")),
    )
    op.create_table(
        "report_cohort_figures",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("enrolled", sa.LargeBinary(), nullable=False),
        sa.Column("trained", sa.LargeBinary(), nullable=False),
        sa.Column("trainers", sa.LargeBinary(), nullable=False),
        sa.Column("certificates", sa.Integer(), nullable=False),
        sa.Column("pre_sum", sa.Float(), nullable=False),
        sa.Column("pre_n", sa.Integer(), nullable=False),
        sa.Column("post_sum", sa.Float(), nullable=False),
        sa.Column("post_n", sa.Integer(), nullable=False),
        sa.Column("gain_sum", sa.Float(), nullable=False),
        sa.Column("gain_n", sa.Integer(), nullable=False),
        sa.CheckConstraint("certificates >= 0", name=op.f("ck_report_cohort_figures_certificates")),
        sa.CheckConstraint(
            "pre_n >= 0 AND post_n >= 0 AND gain_n >= 0", name=op.f("ck_report_cohort_figures_counts")
        ),
        sa.CheckConstraint("version >= 0", name=op.f("ck_report_cohort_figures_version")),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_report_cohort_figures_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_report_cohort_figures")),
    )
    op.create_table(
        "report_people_stamp",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_report_people_stamp_single")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_report_people_stamp_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_people_stamp")),
    )
    op.create_table(
        "report_people_groups",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("groups", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_report_people_groups_single")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_report_people_groups_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_people_groups")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTIONS)
        statements = _postgres_triggers()
    else:
        statements = _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table in _trigger_names():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        for function in (
            "report_people_changed()",
            "report_attempt_changed()",
            "report_cohort_row_changed()",
            "report_stamp_cohorts(integer[])",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    for table in (
        "report_people_groups",
        "report_people_stamp",
        "report_cohort_figures",
        "report_cohort_stamps",
    ):
        op.drop_table(table)
