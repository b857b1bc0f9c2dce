"""Mutation testing of the rule modules with mutmut 3, one module group per work directory.

Each group mutates only its own files and runs only the fast SQLite tests that concern it, in
its own work directory under build/mutants/<group>/ (mutmut keeps its state in ./mutants and
reads its settings from ./pyproject.toml, so groups cannot share a directory). Prints the score
per group and every surviving mutant's diff. Groups run in lanes (two on two cores, each with one
mutmut child): a group's single-process steps (migrating its template, generating its mutants,
the stats pass over its tests) then overlap another group's mutants instead of leaving a core idle.

    python scripts/mutants.py                 # every group, from scratch
    python scripts/mutants.py checkin --keep  # one group, re-testing only what changed
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutants"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Group:
    name: str
    mutate: tuple[str, ...]
    tests: tuple[str, ...]
    skip: tuple[str, ...] = ()  # regexes of lines not to mutate, besides SKIP_EVERYWHERE
    deselect: tuple[str, ...] = ()  # slow tests left out (each mutant runs every test that covers it)
    target: float = 90.0
    # Run by ``make mutants`` with no group named; a group whose tests are still to be written is
    # run only by name, so the whole run stays within its time and its scores mean "done".
    by_default: bool = True


# Wording shown to people (``_l("...")``/``_("...")``) is not a rule: changing it changes no
# decision, and its Ukrainian translation is checked by tests/test_translations.py.
SKIP_EVERYWHERE = (r"\b_l?\(\s*$", r"\b_l?\(\s*\"", r"^\s*\"[^\"]*\",?\s*$")

# PostgreSQL-only locking (tests/test_cohorts_concurrency runs on PostgreSQL, not in this SQLite run).
POSTGRES_LOCKS = (
    r"with_for_update",
    r"pg_advisory_xact_lock",
    r'dialect\.name != "postgresql"',
    r"blake2b",
    r"int\.from_bytes",
    r"User\.id\.in_\(sorted\(trainer_ids\)\)",
    r"\.order_by\(User\.id\)",
    r"^\s*select\(User\.id\)$",
    r"_venue_lock_key\(venue\) for venue in venues",
    r"lock_bookings\(trainer_ids",
)

# Lines of the report's figures that decide no figure this SQLite run can see. On PostgreSQL only:
# JIT off, the cohorts' and people's ids as one array parameter (``= ANY``) instead of chunked
# lists, and the dialect's upsert.
REPORT_FIGURES_SKIP = (
    r'dialect\.name == "postgresql"',
    r"SET LOCAL jit",
    r"func\.any\(",
    r'bindparam\("cohort_ids"',
    r"^\s*yield ids$",
    # A subquery's alias: the code reads its columns through the object (``held.c.days``), never by
    # this name, so another name (or an anonymous one) is the same statement.
    r'^\s*\.subquery\("\w+"\)$',
    # The byte order of big-endian machines (lms.reports.kept.cohorts.pack/union): never this one.
    r'sys\.byteorder == "big"',
)

GROUPS = [
    Group(
        "permissions",
        ("lms/core/permissions.py", "lms/*/rules.py"),
        ("tests/test_rules.py", "tests/test_rule_boundaries.py", "tests/test_permissions_structure.py"),
    ),
    Group(
        "conflicts",
        ("lms/cohorts/conflicts.py",),
        ("tests/test_conflict_properties.py", "tests/test_cohorts.py"),
        skip=POSTGRES_LOCKS,
    ),
    Group(
        "enrolment",
        ("lms/cohorts/enrolment.py",),
        (
            "tests/test_enrolment.py",
            "tests/test_enrolment_api.py",
            # Her personal link in the invitation, for one enrolment and for those moved up.
            "tests/test_personal_access_papers.py::test_the_invitation_carries_her_personal_link_and_code_which_open_her_tests",
            "tests/test_personal_access_papers.py::test_people_moved_up_together_get_their_own_links_in_a_fixed_number_of_queries",
        ),
    ),
    Group(
        "attendance",
        ("lms/cohorts/attendance.py",),
        (
            "tests/test_attendance.py",
            "tests/test_attendance_api.py",
            "tests/test_attendance_properties.py",
            "tests/test_rule_boundaries.py",
        ),
    ),
    Group(
        "checkin",
        ("lms/cohorts/checkin.py",),
        ("tests/test_attendance_checkin.py", "tests/test_rule_boundaries.py"),
    ),
    Group(
        "outbox-jobs",
        ("lms/core/outbox.py", "lms/core/jobs.py"),
        ("tests/test_outbox.py", "tests/test_jobs.py", "tests/test_api_foundation.py"),
        # Eight threads on one SQLite file: a mutant that keeps its lock makes each wait its timeout.
        deselect=(
            "tests/test_jobs.py::test_eight_workers_taking_the_same_stalled_job_at_once_give_it_to_one",
        ),
    ),
    Group(
        "signin",
        ("lms/accounts/signin.py", "lms/accounts/throttle.py"),
        (
            "tests/test_auth.py",
            "tests/test_auth_throttle.py",
            "tests/test_auth_audit.py",
            "tests/test_auth_tokens.py",
            "tests/test_two_factor.py",
            "tests/test_rule_boundaries.py",
        ),
        skip=(r'dialect\.name == "postgresql"',),  # the upsert's dialect: SQLite here, PostgreSQL elsewhere
    ),
    Group(
        "certificates",
        ("lms/assessments/completion.py", "lms/certificates/rules.py"),
        (
            "tests/test_completion_rule.py",
            "tests/test_certificates.py",
            "tests/test_rules.py",
            "tests/test_rule_boundaries.py",
        ),
    ),
    Group(
        "cascade",
        ("lms/cascade/rules.py", "lms/cascade/metrics.py"),
        (
            "tests/test_cascade_figures.py",
            "tests/test_cascade.py",
            "tests/test_rules.py",
            "tests/test_rule_boundaries.py",
        ),
        # Ten seconds each: the demo seeding through the real path, rerun for every mutant it covers.
        deselect=("tests/test_cascade.py::test_the_demo_builds_three_generations_through_the_real_path",),
    ),
    Group(
        "lineage",
        ("lms/cascade/lineage.py",),
        ("tests/test_cascade_lineage.py",),
    ),
    Group(
        "reports",
        ("lms/reports/rules.py", "lms/reports/filters.py"),
        ("tests/test_report_filters.py", "tests/test_rules.py", "tests/test_rule_boundaries.py"),
    ),
    Group(
        "scoring",
        ("lms/assessments/scoring.py", "lms/assessments/analytics.py"),
        (
            "tests/test_scoring_properties.py",
            "tests/test_assessment_scoring.py",
            "tests/test_assessment_analytics.py",
        ),
    ),
    Group(
        "report-figures",
        ("lms/reports/figures.py", "lms/reports/kept/cohorts.py", "lms/reports/kept/people.py"),
        # The programme written as rows (tests/report_fixtures.write_programme), a tenth of a second
        # a test. tests/test_reports.py, test_report_kept.py and test_dashboard.py build it through
        # the real services (half a second a test, for every mutant of results_report) and check
        # the pages, the API and the triggers (SQL in migration 0017, not mutated): they stay in
        # ``make test``.
        ("tests/test_report_figures_rules.py",),
        skip=REPORT_FIGURES_SKIP,
    ),
    Group(
        "issuance",
        ("lms/certificates/issuance.py", "lms/certificates/serials.py"),
        (
            "tests/test_certificate_issuance.py",
            # A twin job's certificate in the batch: the IntegrityError path, one by one.
            "tests/test_certificates.py::test_a_batch_with_one_certificate_issued_meanwhile_issues_the_others_without_a_gap",
            "tests/test_scoring_properties.py::test_a_serial_names_its_prefix_year_and_a_six_digit_number",
        ),
        # The serial counter's first insert: SQLite's dialect here, PostgreSQL's elsewhere.
        skip=(r'dialect\.name == "postgresql"',),
    ),
]

RESULT_LINE = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")
DETECTED = {"killed", "timeout", "caught by type check"}


def _toml_list(values) -> str:
    return "[" + ", ".join("'" + v + "'" for v in values) + "]"  # literal strings: no escapes


def prepare(group: Group, keep: bool) -> Path:
    directory = WORK / group.name
    if directory.exists() and not keep:
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("lms", "tests", "migrations"):
        link = directory / name
        if not link.exists():
            link.symlink_to(ROOT / name, target_is_directory=True)
    tests = [t for t in group.tests if (ROOT / t.split("::")[0]).exists()]
    deselect = "".join(f', "--deselect", "{test}[sqlite]"' for test in group.deselect)
    # Only the SQLite variants: the same rules, without PostgreSQL's slower setup per test. A
    # mutant's session needs only pass or fail: plain asserts skip scanning every installed
    # package for plugins to rewrite, and without the unraisable/thread-exception plugins no
    # garbage collection runs at its end (about 15 % of a forked session between them).
    settings = f"""
[tool.mutmut]
source_paths = ["lms"]
only_mutate = {_toml_list(group.mutate)}
also_copy = ["migrations"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-m", "not worker and not browser", "-k", "not postgresql", "-W", "ignore::DeprecationWarning", "--assert=plain", "-p", "no:unraisableexception", "-p", "no:threadexception"{deselect}]
pytest_add_cli_args_test_selection = {_toml_list(tests)}
do_not_mutate_patterns = {_toml_list(SKIP_EVERYWHERE + group.skip)}
"""
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = re.sub(r"\n\[tool\.mutmut\][^\[]*", "\n", project)
    (directory / "pyproject.toml").write_text(project + settings, encoding="utf-8")
    tomllib.loads((directory / "pyproject.toml").read_text(encoding="utf-8"))
    return directory


def migrated_template(directory: Path) -> Path:
    """A SQLite database built once by the real migrations; each mutant's test session copies
    it (tests/conftest.py) instead of migrating again, a second or more per mutant."""
    template = directory / "template.sqlite3"
    template.unlink(missing_ok=True)
    build = (
        "import sys; from flask_migrate import upgrade; from lms import create_app; "
        "from tests.conftest import app_config; from pathlib import Path; "
        "app = create_app(app_config(f'sqlite:///{sys.argv[1]}', Path(sys.argv[2]))); "
        "ctx = app.app_context(); ctx.push(); upgrade(); "
        "from lms.extensions import db; db.session.remove(); db.engine.dispose()"  # folds in the WAL
    )
    subprocess.run(  # noqa: S603 - our own venv's python
        [sys.executable, "-c", build, str(template), str(directory)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return template


def forget_survivors(directory: Path) -> int:
    """Mark every surviving mutant of an earlier run as not yet tested, so that the next run
    tries the tests added since against them (mutmut re-tests only what changed)."""
    forgotten = 0
    for meta in (directory / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes = data.get("exit_code_by_key", {})
        for name, code in codes.items():
            if code is not None and status_by_exit_code[code] not in DETECTED:
                codes[name] = None
                forgotten += 1
        meta.write_text(json.dumps(data), encoding="utf-8")
    return forgotten


def run(group: Group, keep: bool, children: int, diffs: bool = True, retest: bool = False) -> dict:
    started = time.monotonic()  # the group's whole lane time, its template included
    directory = prepare(group, keep or retest)
    if retest:
        print(f"   re-testing {forget_survivors(directory)} survivors", flush=True)
    env = {
        **os.environ,
        "LMS_INSTANCE_PATH": str(directory / "instance"),
        "LMS_TEST_SQLITE_TEMPLATE": str(migrated_template(directory)),
    }
    env.pop("LMS_REQUIRE_SERVICES", None)
    log = directory / "run.log"
    with log.open("w") as out:
        subprocess.run(  # noqa: S603 - our own venv's mutmut, less its redundant clean run
            [sys.executable, str(ROOT / "scripts" / "mutmut_run.py"), "run", "--max-children", str(children)],
            cwd=directory,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.monotonic() - started
    listing = subprocess.run(  # noqa: S603
        [str(BIN / "mutmut"), "results", "--all", "true"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    statuses = {m["name"]: m["status"] for m in map(RESULT_LINE.match, listing.splitlines()) if m}
    survivors = sorted(name for name, status in statuses.items() if status not in DETECTED)
    shown = [
        subprocess.run(  # noqa: S603
            [str(BIN / "mutmut"), "show", name], cwd=directory, env=env, capture_output=True, text=True
        ).stdout
        for name in (survivors if diffs else [])
    ]
    detected = len(statuses) - len(survivors)
    score = 100.0 * detected / len(statuses) if statuses else 0.0
    return {
        "group": group,
        "total": len(statuses),
        "detected": detected,
        "score": score,
        "seconds": seconds,
        "survivors": [(name, statuses[name]) for name in survivors],
        "diffs": shown,
        "log": log,
    }


def _cores() -> int:
    """The cores this process may use (its affinity, which a container or taskset narrows), not
    the machine's: one mutmut child per core."""
    try:
        return len(os.sched_getaffinity(0)) or 2
    except AttributeError:  # not on Linux
        return os.cpu_count() or 2


DURATIONS = WORK / "durations.json"
# Seconds each group took in a whole run here (one child each, two lanes), for a first run on a
# new machine; a run keeps its own times in DURATIONS.
MEASURED = {
    "report-figures": 442,
    "enrolment": 220,
    "cascade": 202,
    "outbox-jobs": 200,
    "issuance": 174,
    "attendance": 169,
    "signin": 128,
    "scoring": 108,
    "lineage": 84,
    "conflicts": 79,
    "permissions": 44,
    "checkin": 38,
    "reports": 32,
    "certificates": 25,
}


def _longest_first(groups: list[Group]) -> list[Group]:
    """Groups by their last measured time, longest first (unknown ones first of all), so that
    the lanes finish together instead of one waiting on a long group started last."""
    try:
        seconds = MEASURED | json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        seconds = MEASURED
    return sorted(groups, key=lambda g: -seconds.get(g.name, float("inf")))


def _remember(reports: list[dict]) -> None:
    try:
        seconds = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        seconds = {}
    seconds.update({r["group"].name: round(r["seconds"]) for r in reports})
    WORK.mkdir(parents=True, exist_ok=True)
    DURATIONS.write_text(json.dumps(seconds, indent=1, sort_keys=True), encoding="utf-8")


def _print_report(report: dict) -> None:
    print(
        f"== {report['group'].name} ({', '.join(report['group'].mutate)}): "
        f"{report['detected']}/{report['total']} killed ({report['score']:.1f} %) "
        f"in {report['seconds']:.0f} s; log: {report['log'].relative_to(ROOT)}",
        flush=True,
    )
    for index, (name, status) in enumerate(report["survivors"]):
        print(f"   survived [{status}] {name}")
        if report["diffs"]:
            print("      " + report["diffs"][index].strip().replace("\n", "\n      "))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("groups", nargs="*", help="groups to run (default: every group run by default)")
    parser.add_argument("--keep", action="store_true", help="reuse earlier results; re-test what changed")
    parser.add_argument("--children", type=int, default=_cores(), help="mutants tested at once, in all")
    parser.add_argument(
        "--lanes",
        type=int,
        default=0,
        help="groups run at once, sharing the children (default: one per child when several groups "
        "run, so one group's single-process setup overlaps another's mutants)",
    )
    parser.add_argument("--quiet", action="store_true", help="list survivors without their diffs")
    parser.add_argument(
        "--retest-survivors",
        action="store_true",
        help="keep earlier results but test the survivors again (after adding tests)",
    )
    args = parser.parse_args()
    unknown = set(args.groups) - {g.name for g in GROUPS}
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    chosen = [g for g in GROUPS if g.name in args.groups or (not args.groups and g.by_default)]
    lanes = max(1, min(args.lanes or args.children, len(chosen), args.children))
    children = max(1, args.children // lanes)
    print(f"{len(chosen)} group(s), {lanes} at a time, {children} mutant(s) at once each", flush=True)

    started = time.monotonic()
    reports = []
    with ThreadPoolExecutor(max_workers=lanes) as pool:
        running = {
            pool.submit(run, group, args.keep, children, not args.quiet, args.retest_survivors): group
            for group in _longest_first(chosen)
        }
        broken = []
        for future in as_completed(running):
            try:
                reports.append(future.result())
            except Exception as error:  # one group's setup failing keeps the others' results
                broken.append(running[future].name)
                print(f"== {running[future].name}: could not run: {error!r}", flush=True)
                continue
            _print_report(reports[-1])
    _remember(reports)
    reports.sort(key=lambda r: chosen.index(r["group"]))

    print("\nmodule group        killed/total  score   time")
    for r in reports:
        mark = "" if r["score"] >= r["group"].target else f"  (below {r['group'].target:.0f} %)"
        print(
            f"{r['group'].name:<20}{r['detected']:>6}/{r['total']:<6}{r['score']:>6.1f} %{r['seconds']:>6.0f} s{mark}"
        )
    print(
        f"groups' time {sum(r['seconds'] for r in reports):.0f} s; wall time {time.monotonic() - started:.0f} s"
    )
    if broken:
        print(f"not run: {', '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
