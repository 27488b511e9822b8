"""Where the contracts of the real systems live: ../shared/contracts beside the repository
(NOVA_CONTRACTS_DIR overrides it)."""

import os
from pathlib import Path

CONTRACTS = Path(os.environ.get("NOVA_CONTRACTS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "contracts")
KUMA = CONTRACTS / "kuma"
GOALERT_SCHEMA = CONTRACTS / "goalert" / "schema-v0.34.1.graphql"
