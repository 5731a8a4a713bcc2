"""Metrics, SLA verdicts, business-hours calendars, reply classification: pure functions."""
