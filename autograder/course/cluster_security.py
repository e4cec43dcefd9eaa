"""The grading cluster's keys: a course CA, certificates for its machines, Dask's TLS.

A Dask scheduler runs whatever its clients send, and a worker runs whatever the
scheduler sends, so a grading cluster must let in only the course's own machines.
:func:`generate_certificates` (``conv-grader cluster-certs``) makes a certificate
authority for the course and, signed by it, one certificate and key for the scheduler,
one for the workers and one for the coordinator (the machine running ``grade``). Dask's
TLS (:class:`distributed.security.Security`, ``require_encryption``) then makes every
connection mutual TLS against that CA: a client or worker without a certificate of the
course's CA is refused before it can send anything.

Dask checks the CA's signature, not host names (``check_hostname`` is off: clusters are
reached by IP address), and it does not tell the roles apart: any certificate of the
course's CA, in any role, gets in. So every file of the folder is a key to the cluster:
give each machine only its own files, and to shut a machine out, generate a new set and
restart the cluster. The CA's private key is never written: nobody can sign another
certificate later.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CERTIFICATE_DAYS", "ROLES", "ClusterFiles", "client_security", "generate_certificates"]

#: Who gets a certificate.
ROLES = ("scheduler", "worker", "client")
#: How long the certificates are valid: a term, with room to spare.
CERTIFICATE_DAYS = 400
_CA_FILE = "ca.pem"


@dataclass(frozen=True)
class ClusterFiles:
    """Where a course's cluster certificates are.

    Attributes
    ----------
    folder : Path
        The folder ``conv-grader cluster-certs`` wrote.
    """

    folder: Path

    @property
    def ca(self) -> Path:
        """The course CA's certificate (public; every machine needs it)."""
        return self.folder / _CA_FILE

    def cert(self, role: str) -> Path:
        """The certificate of ``role`` (``"scheduler"``, ``"worker"``, ``"client"``)."""
        return self.folder / f"{role}.pem"

    def key(self, role: str) -> Path:
        """The private key of ``role``: only that role's machines get it."""
        return self.folder / f"{role}-key.pem"


def _name(common_name: str) -> Any:
    from cryptography.x509 import Name, NameAttribute
    from cryptography.x509.oid import NameOID

    return Name([NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: str, public_key: Any, days: int) -> Any:
    from cryptography import x509

    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def generate_certificates(
    folder: Path, course: str, *, days: int = CERTIFICATE_DAYS
) -> ClusterFiles:
    """Make a course CA and a certificate and key for each of :data:`ROLES`.

    Parameters
    ----------
    folder : Path
        Where to write them; created, and it must not hold certificates already.
    course : str
        The course's name, written into the certificates' subjects.
    days : int
        How long they are valid.

    Returns
    -------
    ClusterFiles
        ``ca.pem``, and ``<role>.pem`` with ``<role>-key.pem`` (mode 600) per role.

    Raises
    ------
    FileExistsError
        If the folder already holds certificates: a new set would lock out every
        machine given the old one, so delete it first on purpose.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    files = ClusterFiles(Path(folder))
    if files.ca.exists():
        raise FileExistsError(
            f"{files.folder} already holds cluster certificates; delete it first to replace "
            "them (every machine then needs the new files)"
        )
    files.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    authority = f"conv-grader cluster CA for {course}"
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        _builder(authority, authority, ca_key.public_key(), days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    authority_key = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(f"conv-grader {role} for {course}", authority, key.public_key(), days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(authority_key, critical=False)
            # Every Dask node both serves and connects, whatever its role.
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        key_bytes = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write(files.key(role), key_bytes, 0o600)
        _write(files.cert(role), cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(files.ca, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return files


def client_security(folder: Path) -> Any:
    """Dask's :class:`~distributed.security.Security` for the coordinator (TLS required).

    Raises
    ------
    FileNotFoundError
        If the folder lacks the CA or the client's certificate or key.
    """
    from distributed.security import Security

    files = ClusterFiles(Path(folder))
    for path in (files.ca, files.cert("client"), files.key("client")):
        if not path.is_file():
            raise FileNotFoundError(
                f"no {path.name} in {files.folder}: make the course's cluster certificates "
                "with `conv-grader cluster-certs` and copy them here"
            )
    return Security(
        tls_ca_file=str(files.ca),
        tls_client_cert=str(files.cert("client")),
        tls_client_key=str(files.key("client")),
        require_encryption=True,
    )
