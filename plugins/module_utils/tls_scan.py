"""The protocols and cipher suites an https endpoint offers, and its certificate chain, with sslyze.

Ordinary handshakes only, as SCS's own checker does: no vulnerability probes (heartbleed, robot,
CCS injection). sslyze is optional: without it the scan says so in its error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import one_line

#: Cipher-suite enumeration and the certificate: ordinary handshakes, as SCS's own checker does.
#: No vulnerability probes (heartbleed, robot, CCS injection) are run.
TLS_SCANS = {
    "SSL 2.0": "ssl_2_0_cipher_suites",
    "SSL 3.0": "ssl_3_0_cipher_suites",
    "TLS 1.0": "tls_1_0_cipher_suites",
    "TLS 1.1": "tls_1_1_cipher_suites",
    "TLS 1.2": "tls_1_2_cipher_suites",
    "TLS 1.3": "tls_1_3_cipher_suites",
}


def tls_scan(url: str, verify: bool | str, timeout: int) -> dict[str, Any]:
    """Protocols and cipher suites offered, and the certificate chain, with sslyze."""
    try:
        import sslyze
        from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
    except ImportError:
        return {"error": "sslyze is not installed", "protocols": {}, "certificate": None}
    from pathlib import Path

    parts = urlsplit(url)
    commands = {sslyze.ScanCommand(value) for value in TLS_SCANS.values()} | {
        sslyze.ScanCommand.CERTIFICATE_INFO
    }
    extra = (
        sslyze.ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(verify))
        )
        if isinstance(verify, str)
        else sslyze.ScanCommandsExtraArguments()
    )
    request = sslyze.ServerScanRequest(
        server_location=sslyze.ServerNetworkLocation(hostname=parts.hostname, port=parts.port or 443),
        network_configuration=sslyze.ServerNetworkConfiguration(
            tls_server_name_indication=parts.hostname, network_timeout=timeout
        ),
        scan_commands=commands,
        scan_commands_extra_arguments=extra,
    )
    scanner = sslyze.Scanner()
    scanner.queue_scans([request])
    (result,) = list(scanner.get_results())
    if result.scan_result is None:
        return {"error": f"TLS scan failed: {result.scan_status}", "protocols": {}, "certificate": None}
    facts: dict[str, Any] = {"error": None, "protocols": {}, "certificate": None}
    for label, attribute in TLS_SCANS.items():
        attempt = getattr(result.scan_result, attribute)
        facts["protocols"][label] = (
            None
            if attempt.result is None
            else sorted(suite.cipher_suite.name for suite in attempt.result.accepted_cipher_suites)
        )
    certificate = result.scan_result.certificate_info.result
    if certificate is not None and certificate.certificate_deployments:
        deployment = certificate.certificate_deployments[0]
        leaf = deployment.received_certificate_chain[0]
        trusted = any(
            validation.was_validation_successful for validation in deployment.path_validation_results
        )
        facts["certificate"] = {
            "trusted": trusted,
            "not_after": leaf.not_valid_after_utc.isoformat(),
            "key_type": type(leaf.public_key()).__name__.lstrip("_"),
            "key_size": getattr(leaf.public_key(), "key_size", None),
            "signature_hash": leaf.signature_hash_algorithm.name if leaf.signature_hash_algorithm else None,
        }
    return facts


def guarded(scan: Any) -> dict[str, Any]:
    """A TLS scan whose failure (a host that does not resolve, sslyze raising) is its own error."""
    try:
        return scan()
    except Exception as exc:
        return {"error": f"TLS scan failed: {one_line(exc)}", "protocols": {}, "certificate": None}
