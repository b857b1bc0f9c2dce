"""Certificates: issued by a job when a training closes, verifiable by anyone, revocable."""
