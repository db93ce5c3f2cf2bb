"""`python -m mutualaid_xl.cli`: the same as the `mutualaid` command (used by the desktop shortcut)."""

from . import main

main()
