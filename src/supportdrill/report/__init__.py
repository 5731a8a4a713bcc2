"""Reports of a run: the JSON journal, the Markdown summary, the live terminal view."""
