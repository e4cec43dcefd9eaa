"""Translated editions: catalogues keyed by cell id, right-to-left markdown, feedback's language."""
