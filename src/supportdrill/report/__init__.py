"""supportdrill.report."""
