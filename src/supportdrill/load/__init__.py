"""supportdrill.load."""
