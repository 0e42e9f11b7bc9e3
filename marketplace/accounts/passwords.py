"""Password hashing with Argon2id, and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

_normal = PasswordHasher()
# The test suite creates hundreds of users; cheap parameters keep it fast there only.
_fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher() -> PasswordHasher:
    return _fast if current_app.config.get("PASSWORD_HASH_FAST") else _normal


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- policy ---------------------------------------------------------------------------------------

MIN_LENGTH = 10
MAX_LENGTH = 256

# Passwords at the top of every leaked-password list (those of 10+ characters, since shorter ones
# fail the length rule anyway), compared case-insensitively.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "1234567890a", "12345678910", "1q2w3e4r5t", "1qaz2wsx3edc",
    "a123456789", "abc1234567", "abcdefghij", "aaaaaaaaaa", "asdfghjkl;", "iloveyou123",
    "password12", "password123", "password1234", "password!1", "passw0rd12", "p@ssw0rd123",
    "qwertyuiop", "qwerty1234", "qwerty12345", "qwerty123456", "1qaz2wsx3e", "zaq12wsxcde",
    "letmein123", "welcome123", "welcome1234", "administrator", "admin12345", "admin123456",
    "changeme123", "football123", "sunshine123", "superman123", "princess123", "trustno1234",
    "woaini1314", "woaini520", "5201314520", "huizhong123", "huizhong2026", "abcd123456",
    "asdfghjkl1", "zxcvbnm123", "1234qwerasdf", "qwer1234asdf", "internet123", "dragon12345",
})


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Why a password is refused (empty list: acceptable). Messages are lazy, translatable."""
    password = password or ""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    if password and password.isdigit():
        problems.append(_l("Do not use only digits."))
    if email and password.strip().lower() == email.strip().lower():
        problems.append(_l("Do not use your email address as password."))
    if password.lower() in COMMON_PASSWORDS:
        problems.append(_l("This password is too common."))
    return problems
