"""Local tools: `python -m devserver run` (the bridge) and `python -m devserver token` (a dev JWT)."""

from __future__ import annotations

import argparse
import sys

from nova_bridge.catalogue import ROLES


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        from devserver.server import main as run

        return run(argv[1:])
    if argv and argv[0] == "token":
        from devserver import tokens
        from devserver.server import STATE_DIR

        parser = argparse.ArgumentParser(prog="make token", description="Print a dev JWT the local bridge accepts.")
        parser.add_argument("--role", default="admin", choices=ROLES)
        parser.add_argument("--tenant", default="acme")
        parser.add_argument("--user", default=None, help="Nova user id (sub); default dev-<role>")
        parser.add_argument("--ttl", type=int, default=12 * 3600, help="seconds")
        args = parser.parse_args(argv[1:])
        print(tokens.issue(tokens.dev_secret(STATE_DIR), role=args.role, tenant=args.tenant, user=args.user,
                           ttl_seconds=args.ttl))
        return 0
    print("usage: python -m devserver run|token [options]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
