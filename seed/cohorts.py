"""Demo data: cohorts."""


def load(people: dict) -> dict:
    return {}
