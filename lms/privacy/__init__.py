"""Privacy: which records hold personal data, a person's data export, erasure and retention."""

from lms.privacy import rules  # noqa: F401 - registers the privacy permissions
