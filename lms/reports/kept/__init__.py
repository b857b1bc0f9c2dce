"""Figures kept as they are written: each cohort's people (as bitmaps) and score sums, and the
people trained by institution type and position, so that a national report reads tens of
thousands of small rows instead of millions of enrolments, attempts and certificates.

Database triggers (migration ``0017``) bump a cohort's *stamp* on every write that changes what
its figures are made of (enrolments, certificates, scored attempts, its tests), whatever wrote
it; a cohort's figures row is valid while its version equals the stamp. A report computes the
cohorts whose figures are missing or stale itself, so a figure is never out of date."""
