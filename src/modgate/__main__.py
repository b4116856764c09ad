"""``python -m modgate`` runs the command line."""

from modgate.cli import main

main()
