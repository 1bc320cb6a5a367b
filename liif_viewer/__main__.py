"""``python -m liif_viewer``."""

from .cli import run

run()
