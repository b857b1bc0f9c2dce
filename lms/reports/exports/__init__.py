"""Report exports: every registered report table written to XLSX, CSV (a ZIP) or a printable PDF
by a job, streamed row by row so that a million people take no more memory than ten.

``rows`` registers the "People trained" table; ``cells`` makes cells safe for spreadsheets;
``writers`` writes the files; ``services`` starts, runs, audits and expires the jobs."""
