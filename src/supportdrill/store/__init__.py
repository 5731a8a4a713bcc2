"""supportdrill.store."""
