"""HTTPS served directly (web.tls_cert / web.tls_key): a real TLS handshake against a
self-signed certificate made here, Secure cookies and HSTS once the site is on TLS."""

from __future__ import annotations

import datetime
import ipaddress
import re
import ssl
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from liveserver import free_port, running

from api import tokens
from api.context import AppContext, AuthSettings, WebSettings
from sshmon.server import TLSFileError, listen


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sshmon test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def test_https_is_served_with_hsts_and_secure_cookies(
    ctx: AppContext, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    ctx.settings = WebSettings(
        port=free_port(), tls_cert=cert, tls_key=key, auth=AuthSettings(enabled=True)
    )
    engine = tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")
    _, token = tokens.create(engine, "me", tokens.Role.viewer, time.time())
    trust = ssl.create_default_context(cafile=str(cert))  # verify for real, no verify=False
    async with (
        running(ctx, verify=trust) as base,
        httpx.AsyncClient(base_url=base, verify=trust, timeout=10) as browser,
    ):
        assert base.startswith("https://")
        r = await browser.get("/healthz")
        assert r.status_code == 200 and r.http_version == "HTTP/1.1"
        assert r.headers["strict-transport-security"] == "max-age=31536000"
        form = await browser.get("/login")
        csrf_cookie = form.headers["set-cookie"]
        assert "Secure" in csrf_cookie
        r = await browser.post("/login", data={"token": token, "csrf_token": _csrf(form.text)})
        session = next(
            c for c in r.headers.get_list("set-cookie") if c.startswith("sshmon_session=")
        )
        assert r.status_code == 303 and "Secure" in session and "HttpOnly" in session
        # plain http to the TLS port gets no answer an http client can use
        async with httpx.AsyncClient(timeout=5) as plain:
            with pytest.raises(httpx.HTTPError):
                await plain.get(base.replace("https://", "http://") + "/")


def test_tls_settings_come_in_pairs_and_must_load(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tls_cert and tls_key go together"):
        WebSettings(tls_cert=tmp_path / "cert.pem")
    cert, _ = self_signed(tmp_path)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    _, other_key = self_signed(other_dir)
    with pytest.raises(TLSFileError, match="cannot serve HTTPS"):
        listen(WebSettings(port=free_port(), tls_cert=cert, tls_key=other_key))
    with pytest.raises(TLSFileError, match="cannot serve HTTPS"):
        listen(WebSettings(port=free_port(), tls_cert=cert, tls_key=tmp_path / "missing.pem"))


def test_hsts_and_secure_cookies_follow_tls_or_an_https_base_url(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    assert WebSettings(tls_cert=cert, tls_key=key).cookies_secure()
    assert WebSettings(base_url="https://mon.example.com").https()
    assert not WebSettings().https() and not WebSettings().cookies_secure()
