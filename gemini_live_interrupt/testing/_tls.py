"""A throwaway certificate authority for the offline server (the SDK insists on ``wss``)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

__all__ = ["TLSPair", "make_tls_pair"]


@dataclass(frozen=True)
class TLSPair:
    """A server-side and a matching client-side TLS context for ``127.0.0.1``."""

    server: ssl.SSLContext
    client: ssl.SSLContext


def make_tls_pair(host: str = "127.0.0.1") -> TLSPair:
    """Issue a certificate for ``host`` from a fresh in-memory CA.

    Raises:
        ImportError: ``trustme`` is missing (install the ``testing`` extra).
    """
    try:
        import trustme
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "FakeLiveServer needs trustme: pip install 'gemini-live-interrupt[testing]'"
        ) from exc
    ca = trustme.CA()
    cert = ca.issue_cert(host)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client)
    return TLSPair(server=server, client=client)
