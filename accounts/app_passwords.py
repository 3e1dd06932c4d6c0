"""Encryption of app-password secrets at rest, small like Django's `auth/tokens.py`.

`APP_PASSWORD_ENCRYPTION_KEYS` lists Fernet keys: the first encrypts, every one decrypts,
so a key is rotated by putting the new one first and re-saving.
"""

import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

SECRET_BYTES = 18  # 24 URL-safe characters: typed once into a phone, then remembered by it


class SecretUnreadable(Exception):
    """The stored secret was encrypted with a key no longer configured."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.APP_PASSWORD_ENCRYPTION_KEYS])


def secret_generate() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(encrypted: str) -> str:
    try:
        return _fernet().decrypt(encrypted.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The app password was encrypted with an unknown key.") from None


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
