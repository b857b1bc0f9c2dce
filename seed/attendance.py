"""Demo data: attendance."""


def load(people: dict) -> dict:
    return {}
