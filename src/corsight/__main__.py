"""``python -m corsight``: the command line."""

from corsight.cli import main

main()
