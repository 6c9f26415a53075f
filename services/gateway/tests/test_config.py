import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from zhiyuan_gateway.core.config import GatewaySettings


def test_local_creates_and_reuses_a_private_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = GatewaySettings(env="local", data_dir=data_dir)
    key_file = data_dir / "token.key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.signing_secret) >= 32
    assert GatewaySettings(env="local", data_dir=data_dir).signing_secret == first.signing_secret


def test_explicit_secret_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = GatewaySettings(env="local", data_dir=tmp_path, token_secret=SecretStr("k" * 32))
    assert settings.signing_secret == "k" * 32
    assert not (tmp_path / "token.key").exists()
    assert "kkkk" not in repr(settings)


def test_production_requires_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ZHIYUAN_TOKEN_SECRET"):
        GatewaySettings(env="production", data_dir=tmp_path, nats_user="u", nats_password="p")
    assert not (tmp_path / "token.key").exists()


def test_short_secret_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        GatewaySettings(env="local", data_dir=tmp_path, token_secret=SecretStr("short"))


def test_defaults_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIYUAN_GATEWAY_PORT", "8123")
    monkeypatch.setenv("ZHIYUAN_TOKEN_SECRET", "e" * 32)
    settings = GatewaySettings(data_dir=tmp_path)
    assert settings.gateway_port == 8123
    assert settings.gateway_host == "127.0.0.1"
    assert settings.request_timeout_seconds == 5
    assert settings.self_registration_per_minute == 10
    assert settings.signing_secret == "e" * 32
