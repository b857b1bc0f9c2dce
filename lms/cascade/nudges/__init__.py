"""Reminders down the cascade: dormant trainers are nudged weekly, coordinators get the list of
their regions' dormant trainers weekly and a digest of the regions' figures monthly."""
