"""Encryption at rest for unwatermarked ID images: AES-256-GCM, keys from the environment.

Keys are named (``DOCUMENT_KEYS="k2026a:<base64 32 bytes>,k2025b:<...>"``) and
``DOCUMENT_KEY_ID`` picks the one new files use; older files keep working with their key
id, stored on the row and in the file header, so keys can be rotated.

File layout: ``FPE1`` | key id length (1 byte) | key id | nonce (12 bytes) | ciphertext+tag.
The associated data binds a ciphertext to its document: a file copied onto another row
does not decrypt.
"""

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"FPE1"


class DecryptionError(Exception):
    pass


@dataclass(frozen=True)
class Sealed:
    key_id: str
    data: bytes


def _key(key_id: str) -> bytes:
    try:
        return settings.DOCUMENT_KEYS[key_id]
    except KeyError:
        raise DecryptionError(f"unknown document key id {key_id!r}") from None


def seal(plaintext: bytes, *, associated: str) -> Sealed:
    key_id = settings.DOCUMENT_KEY_ID
    nonce = os.urandom(12)
    ciphertext = AESGCM(_key(key_id)).encrypt(nonce, plaintext, associated.encode())
    kid = key_id.encode()
    return Sealed(key_id=key_id, data=MAGIC + bytes([len(kid)]) + kid + nonce + ciphertext)


def key_id_of(data: bytes) -> str:
    """The id of the key a sealed file was made with, read from its header: no key needed (key rotation)."""
    if not data.startswith(MAGIC) or len(data) < 5 + 12 + 16:
        raise DecryptionError("not an encrypted document")
    try:
        return data[5 : 5 + data[4]].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("a damaged header") from None


def unseal(data: bytes, *, associated: str) -> bytes:
    key_id = key_id_of(data)
    kid_len = data[4]
    nonce = data[5 + kid_len : 17 + kid_len]
    if len(nonce) != 12:
        raise DecryptionError("a damaged header")
    try:
        return AESGCM(_key(key_id)).decrypt(nonce, data[17 + kid_len :], associated.encode())
    except Exception as exc:  # InvalidTag: wrong key, wrong document, or tampered bytes
        raise DecryptionError("the document could not be decrypted") from exc
