"""What other features add to a training's papers, without cohorts knowing them: lines in the
invitation email (the tests' personal link) and pages at the end of the session kit (the
personal slips). Each feature registers its own from a module listed in ``lms.HOOK_MODULES``."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from lms.cohorts.models import Cohort, Enrollment

if TYPE_CHECKING:
    from lms.cohorts.kit import KitDocument

# For the people being invited: per enrolment, a function giving her extra lines, called in
# her language when her email is composed (one call per batch, so a batch costs what one does).
InvitationLines = Callable[[Cohort, list[Enrollment]], dict[int, Callable[[], list[str]]]]
KitPages = Callable[["KitDocument", Cohort, list[Enrollment]], None]

_invitation_lines: list[InvitationLines] = []
_kit_pages: list[KitPages] = []


def invitation_lines(provider: InvitationLines) -> InvitationLines:
    """Register ``provider`` (usable as a decorator)."""
    if provider not in _invitation_lines:
        _invitation_lines.append(provider)
    return provider


def kit_pages(provider: KitPages) -> KitPages:
    """Register ``provider``: it adds pages to the session kit after the sign-in sheets."""
    if provider not in _kit_pages:
        _kit_pages.append(provider)
    return provider


def extra_invitation_lines(cohort: Cohort, enrollments: list[Enrollment]) -> dict[int, list[Callable]]:
    """Every registered provider's line makers, per enrolment id."""
    found: dict[int, list[Callable]] = {}
    if not enrollments:
        return found
    for provider in _invitation_lines:
        for enrollment_id, lines in provider(cohort, enrollments).items():
            found.setdefault(enrollment_id, []).append(lines)
    return found


def add_kit_pages(pdf: "KitDocument", cohort: Cohort, people: list[Enrollment]) -> None:
    for provider in _kit_pages:
        provider(pdf, cohort, people)
