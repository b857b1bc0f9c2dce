"""Permission rules live with their features; core's machinery imports no feature."""

import ast
from pathlib import Path

import lms
from lms.core import permissions

CORE = Path(lms.__file__).parent / "core"
FEATURES = ("lms.accounts", "lms.cohorts", "lms.courses", "lms.org")
# Core's two pages (the home page's calendar, the audit log's filter by person's name) show
# feature data; every other core module is machinery that must stay feature-free.
CORE_PAGES = {"views.py", "audit_views.py"}


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_machinery_imports_no_feature_module():
    offending = {
        f"{path.name}: {module}"
        for path in CORE.glob("*.py")
        if path.name not in CORE_PAGES
        for module in _imported_modules(path)
        if module.startswith(FEATURES)
    }
    assert offending == set()


def test_core_pages_listed_as_exceptions_still_exist():
    assert all((CORE / name).exists() for name in CORE_PAGES)


def test_each_feature_registers_its_rules_from_its_own_module(app):
    owners = {action: function.__module__ for action, function in permissions._RULES.items()}
    assert owners["cohort.manage"] == "lms.cohorts.rules"
    assert owners["attendance.checkin"] == "lms.cohorts.rules"
    assert owners["course.manage"] == "lms.courses.rules"
    assert owners["user.manage"] == "lms.accounts.rules"
    assert owners["district.manage"] == "lms.org.rules"
    assert owners["job.view"] == "lms.core.rules"
    assert set(owners.values()) == set(lms.RULE_MODULES)
