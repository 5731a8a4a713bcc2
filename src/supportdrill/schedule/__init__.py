"""supportdrill.schedule."""
