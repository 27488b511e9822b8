"""Operator command-line tools: `python -m nova_bridge.tools.<tool> --help`."""
