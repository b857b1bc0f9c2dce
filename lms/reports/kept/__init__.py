"""Figures kept as they are written: each cohort's people (sets of ids) and score sums, and
everyone's institution type and position (as bitmaps), so that a national report reads tens of
thousands of small rows instead of millions of enrolments, attempts and certificates.

Database triggers (migration ``0017``) bump a cohort's *stamp* on every write that changes what
its figures are made of (enrolments, certificates, scored attempts, its tests), whatever wrote
it; a cohort's figures row is valid while its version equals the stamp. A report computes the
cohorts whose figures are missing or stale itself, so a figure is never out of date; the
periodic task ``lms.reports.refresh_figures`` keeps them, so that a report seldom has to.

The triggers live in the migration (they are SQL): a later migration that rebuilds one of their
tables on SQLite (``batch_alter_table``) must make them again."""
