"""Reports for donors and ministries: results, narrative, dashboards, coverage and exports.

Every figure is scoped by ``filters.ReportFilters`` (period, regions, courses) and uses one
definition of *trained*: a valid certificate of a cohort in scope (the certificate is issued
from the course's completion rule, so a revoked or superseded one does not count), each person
counted once per figure."""
