"""nianbao's Scrapy project: spiders, middlewares, pipelines, settings, the CLI and the demo portals."""

__version__ = "0.1.0"
