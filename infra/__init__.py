"""CDK constructs of the Nova monitoring bridge, one module per concern.

`app.py` builds one `NovaBridgeStage` (see `infra.stack`) for the environment chosen with
`-c env=dev|staging|prod`; settings come from `cdk.json` (see `infra.config`).
"""

import sys
from pathlib import Path

# The catalogue lives in the core layer (nova_bridge); make it importable for `cdk synth`,
# `python -m infra.sizes` and friends, as pytest's `pythonpath` does for the tests.
_CORE_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "core" / "python")
if _CORE_LAYER not in sys.path:
    sys.path.insert(0, _CORE_LAYER)
