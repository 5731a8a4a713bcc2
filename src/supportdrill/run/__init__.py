"""supportdrill.run."""
