"""The reader's doors: every public URL, its caching and its headers."""
