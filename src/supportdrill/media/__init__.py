"""supportdrill.media."""
