"""``python -m devsmtp``."""

from .cli import main

main()
