"""Model encryption at rest: AES-256-GCM around a whole .sdkm file.

An encrypted model (`.sdkm` with the magic `SDKE`) is what ships in the app; the app hands
the key to the SDK, which decrypts with the platform's crypto (javax.crypto on Android,
CryptoKit on iOS, the `cryptography` package here) and loads the plain bytes from memory.
The engine itself never decrypts (no hand-written crypto in it): given an encrypted file it
fails with a message saying so.

Layout (little-endian):

    0   char[4]  "SDKE"
    4   u16      version (1)
    6   u16      reserved (0)
    8   u8[12]   GCM nonce (random per file)
    20  ...      ciphertext of the .sdkm, then the 16-byte GCM tag
    AAD: the 20 header bytes (so a changed header fails authentication too)

What it protects against: copying the model out of the APK/IPA and using or inspecting it
without the key. What it does not: an attacker who can read the key from the running app
(or its memory after decryption) gets the model; keep the key out of the app's files (fetch
it from your server, or derive it on the device) to make that harder, not impossible.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from .errors import SdkbuildError

MAGIC = b"SDKE"
VERSION = 1
HEADER = struct.Struct("<4sHH12s")
KEY_BYTES = 32
KEY_ENV = "SDKBUILD_MODEL_KEY"


def _aesgcm(key: bytes):
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise SdkbuildError("model encryption needs the cryptography package", hint="pip install cryptography") from None
    if len(key) != KEY_BYTES:
        raise SdkbuildError(f"the model key is {len(key)} bytes; AES-256 needs {KEY_BYTES}",
                            hint="make one with `sdkbuild keygen -o model.key`")
    return AESGCM(key)


def is_encrypted(data: bytes) -> bool:
    return data[:4] == MAGIC


def encrypt(plain: bytes, key: bytes, nonce: bytes | None = None) -> bytes:
    nonce = os.urandom(12) if nonce is None else nonce
    header = HEADER.pack(MAGIC, VERSION, 0, nonce)
    return header + _aesgcm(key).encrypt(nonce, plain, header)


def decrypt(data: bytes, key: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag

    if len(data) < HEADER.size + 16 or not is_encrypted(data):
        raise SdkbuildError("not an encrypted model (no SDKE header)", hint="load it without a key")
    magic, version, reserved, nonce = HEADER.unpack_from(data, 0)
    if version != VERSION or reserved != 0:
        raise SdkbuildError(f"encrypted model version {version} is not supported",
                            hint="convert the model again with this sdkbuild")
    try:
        return _aesgcm(key).decrypt(nonce, data[HEADER.size:], data[: HEADER.size])
    except InvalidTag:
        raise SdkbuildError("the model could not be decrypted: wrong key, or the file was changed",
                            hint="pass the key the model was encrypted with") from None


def parse_key(text: str, origin: str) -> bytes:
    """A key written as 64 hex digits (what `sdkbuild keygen` writes)."""
    t = text.strip()
    try:
        key = bytes.fromhex(t)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise SdkbuildError(f"{origin} is not a model key (64 hex digits expected)",
                            hint="make one with `sdkbuild keygen -o model.key`")
    return key


def load_key(path: str | os.PathLike | None = None) -> bytes:
    """The key from a file, else from $SDKBUILD_MODEL_KEY (keys never live in sdk.toml)."""
    if path is not None:
        p = Path(path)
        try:
            return parse_key(p.read_text(), str(p))
        except OSError as e:
            raise SdkbuildError(f"cannot read the model key {p}: {e.strerror}", hint="check the path") from None
    text = os.environ.get(KEY_ENV)
    if not text:
        raise SdkbuildError(f"no model key: ${KEY_ENV} is not set",
                            hint=f"export {KEY_ENV}=<64 hex digits> (e.g. from your CI's secret store), or pass a "
                            "key file")
    return parse_key(text, f"${KEY_ENV}")


def new_key() -> str:
    return os.urandom(KEY_BYTES).hex()
