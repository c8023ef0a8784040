"""WARC writing and reading, the SQLite index, search, browsing and verification.

Imports `extract`, never `crawler`.
"""
