"""Roster import: the lists of participants district administrations send, as CSV or XLSX.

``files`` reads a file lazily, ``checks`` checks and matches its rows in batches, ``importer``
previews and imports them, ``uploads`` keeps uploaded files and runs the import as a job.
Memory stays flat whatever the size of the file: rows are never all held at once.
"""

from lms.cohorts.roster.checks import describe
from lms.cohorts.roster.files import read_roster, template_csv
from lms.cohorts.roster.importer import (
    RosterHasProblems,
    RosterPreview,
    import_roster,
    preview_roster,
)
from lms.cohorts.roster.uploads import (
    import_job,
    import_now,
    job_for_upload,
    load_upload,
    receive_roster,
    retry_import,
    run_import_job,
    run_preview_job,
    start_import,
)

__all__ = [
    "RosterHasProblems",
    "RosterPreview",
    "describe",
    "import_job",
    "import_now",
    "import_roster",
    "load_upload",
    "preview_roster",
    "read_roster",
    "receive_roster",
    "retry_import",
    "run_import_job",
    "run_preview_job",
    "job_for_upload",
    "start_import",
    "template_csv",
]
