"""Operations: backup and restore, the reproducible install and the security checks in CI."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import create_app
from lms.accounts.services import create_user
from lms.core import audit
from lms.extensions import db
from tests.conftest import app_config, drop_postgres_database, make_database_url

ROOT = Path(__file__).resolve().parent.parent


def _restored_url(backend: str, backup: Path, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{backup}"
    url = make_database_url("postgresql", tmp_path, "restored")
    parsed = sa.engine.make_url(url)
    subprocess.run(
        [
            shutil.which("pg_restore"),
            "--no-owner",
            f"--host={parsed.host}",
            f"--port={parsed.port or 5432}",
            f"--username={parsed.username}",
            f"--dbname={parsed.database}",
            str(backup),
        ],
        check=True,
    )
    return url


def test_backup_then_restore_gives_the_same_data_and_the_audit_guard(backend, tmp_path):
    url = make_database_url(backend, tmp_path, "backup")
    application = create_app(app_config(url, tmp_path))
    restored_url = None
    try:
        with application.app_context():
            upgrade()
            person = create_user(by=None, email="olena@example.org", full_name="Олена Бойко")
            audit.record(None, "user.create", person)
            db.session.commit()
        backup = tmp_path / "backups" / "lms.backup"
        result = application.test_cli_runner().invoke(args=["db", "backup", str(backup)])
        assert result.exit_code == 0, result.output
        assert backup.stat().st_size > 0
        restored_url = _restored_url(backend, backup, tmp_path)
        engine = sa.create_engine(restored_url)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT full_name FROM users")).scalar() == "Олена Бойко"
            assert connection.execute(sa.text("SELECT action FROM audit_events")).scalar() == "user.create"
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                connection.execute(sa.text("DELETE FROM audit_events"))
        engine.dispose()
    finally:
        with application.app_context():
            db.engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)
            if restored_url:
                drop_postgres_database(restored_url)


def test_install_uses_constraints_that_pin_every_dependency():
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile
    pinned = {
        re.split(r"==", line)[0].lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", requirement)[0].lower().replace("_", "-") for requirement in wanted}
    assert names <= pinned, names - pinned


def test_ci_runs_the_tests_then_lint_then_bandit():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.index("make test") < script.index("make lint") < script.index("make security")
    assert "bandit" in (ROOT / "Makefile").read_text()


def test_a_restored_database_still_verifies_its_certificates(backend, tmp_path):
    """A certificate issued before the backup verifies from the restored copy: the same code, the
    same status, and the document rendered from the restored snapshot has the stored SHA-256."""
    from lms.certificates import closing, issuance, services
    from lms.certificates.models import Certificate
    from lms.certificates.render import render_pdf, sha256_of
    from lms.core.jobs import run_job
    from tests import factories
    from tests.certificate_fixtures import finished_cohort

    url = make_database_url(backend, tmp_path, "certbackup")
    application = create_app(app_config(url, tmp_path))
    restored_url = None
    try:
        with application.app_context():
            upgrade()
            factories.bind(db.session)
            cohort, _people = finished_cohort(scores=(90,))
            job = closing.close_cohort(cohort, by=factories.UserFactory(roles=["admin"]))
            db.session.commit()
            run_job(job.id, issuance.run_issuance_job)
            db.session.commit()
            certificate = db.session.scalars(sa.select(Certificate)).one()
            code, sha = certificate.verification_code, certificate.sha256
            db.session.remove()
        backup = tmp_path / "backups" / "lms.backup"
        assert application.test_cli_runner().invoke(args=["db", "backup", str(backup)]).exit_code == 0
        restored_url = _restored_url(backend, backup, tmp_path)
        restored = create_app(app_config(restored_url, tmp_path / "restored"))
        with restored.app_context():
            found = services.by_code(code)
            assert found is not None and found.status == "valid"
            assert sha256_of(render_pdf(found)) == sha
            db.session.remove()
            db.engine.dispose()
    finally:
        factories.bind(None)
        with application.app_context():
            db.engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)
            if restored_url:
                drop_postgres_database(restored_url)
