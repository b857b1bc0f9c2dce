"""Privacy: which records hold personal data, a person's data export, erasure and retention."""
