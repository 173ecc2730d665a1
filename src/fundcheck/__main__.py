"""`python -m fundcheck` runs the command line."""

from fundcheck.cli import main

main()
