"""Bytes and headers in, a frozen Document out: decoding, mojibake, main text, metadata, report tables.

Pure functions only: no I/O, no Scrapy, deterministic. Imports neither `crawler` nor `archive`.
"""
