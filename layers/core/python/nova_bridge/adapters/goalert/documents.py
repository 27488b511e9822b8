"""The fixed GraphQL operations document the bridge sends to GoAlert.

GoAlert binds an API key to one exact query text, so the document is read once, byte for byte,
and its sha256 names the key provisioned for it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

DOCUMENT_FILE = "operations.graphql"

_OPERATION = re.compile(r"^(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


@dataclass(frozen=True)
class OperationsDocument:
    text: str
    sha256: str
    operation_names: frozenset[str]

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


@lru_cache(maxsize=1)
def operations_document() -> OperationsDocument:
    text = resources.files(__package__).joinpath(DOCUMENT_FILE).read_text(encoding="utf-8")
    return OperationsDocument(
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        operation_names=frozenset(_OPERATION.findall(text)),
    )


def api_key_name(document: OperationsDocument) -> str:
    """The GoAlert API key name for a document version, so a stale key is recognisable."""
    return f"nova-bridge-{document.short_hash}"
