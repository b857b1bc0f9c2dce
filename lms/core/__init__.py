"""Machinery every feature shares: database base, permissions, errors, audit, jobs, outbox."""
