"""supportdrill.faults."""
