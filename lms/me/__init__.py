"""A person's own view of the programme: her trainings, results, certificates and tests to take."""
