"""Supervisors' reports: the service's numbers for a period, per platform and overall."""
