"""Pre/post tests: a course's question bank, the cohort's tests, attempts and their scores."""
