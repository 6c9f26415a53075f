"""The gateway's one settings object (``ZHIYUAN_`` environment variables)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from zhiyuan_platform.settings import PlatformSettings

API_PREFIX = "/api/v1"
TOKEN_KEY_FILE = "token.key"
# HS256 wants a key at least as long as its hash (RFC 7518 §3.2).
MIN_SECRET_LENGTH = 32


def load_or_create_token_key(data_dir: Path) -> str:
    """The local install's signing key: ``<data_dir>/token.key``, created 0600 on first use.

    ``O_EXCL`` makes two processes starting together agree on one key instead of each
    writing its own.
    """
    path = data_dir / TOKEN_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(48) + "\n")
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise ValueError(f"{path} holds a key shorter than {MIN_SECRET_LENGTH} characters; remove it")
    return key


class GatewaySettings(PlatformSettings):
    token_secret: SecretStr | None = Field(
        default=None,
        description="HS256 signing key (ZHIYUAN_TOKEN_SECRET); local installs fall back to data_dir/token.key",
    )
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    request_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    self_registration_per_minute: int = Field(default=10, ge=1)
    login_attempts_per_minute: int = 20
    token_ttl_minutes: int = Field(default=720, ge=1, description="lifetime of tokens the gateway issues")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="NATS's default max payload")

    @model_validator(mode="after")
    def _resolve_token_secret(self) -> GatewaySettings:
        secret = self.token_secret.get_secret_value() if self.token_secret is not None else ""
        if not secret:
            if self.env == "production":
                raise ValueError("production needs ZHIYUAN_TOKEN_SECRET (at least 32 characters)")
            self.token_secret = SecretStr(load_or_create_token_key(self.data_dir))
        elif len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"ZHIYUAN_TOKEN_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        return self

    @property
    def signing_secret(self) -> str:
        assert self.token_secret is not None  # resolved by the validator
        return self.token_secret.get_secret_value()
