"""Runbook drills: a scripted responder, the on-call side of desks, and a failover path."""
