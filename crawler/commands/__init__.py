"""Scrapy commands of the nianbao project (`COMMANDS_MODULE`): `crawl` replaces Scrapy's own."""
