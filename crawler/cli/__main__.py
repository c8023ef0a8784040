"""`python -m crawler.cli` runs the `nianbao` command."""

from crawler.cli import main

main()
