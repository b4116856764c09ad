from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from modgate.errors import SettingsError
from modgate.settings import Settings, load_settings

DOC = Path(__file__).parents[2] / "docs" / "settings.md"


def _env_names(model: type[BaseModel], prefix: str = "MODGATE_") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_env_names(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`(MODGATE_[A-Z0-9_]+)`", DOC.read_text()))
    missing = [name for name in _env_names(Settings) if name not in documented]
    assert not missing, f"settings missing from docs/settings.md: {missing}"


def test_bad_value_names_the_variable_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_PORT", "not-a-port")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "MODGATE_PORT" in caught.value.message


def test_database_url_of_unknown_kind_is_refused_with_examples() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(database_url="mysql://x")
    assert "postgresql+psycopg://" in caught.value.message


def test_s3_store_needs_a_bucket() -> None:
    with pytest.raises(SettingsError, match="MODGATE_S3_BUCKET"):
        load_settings(blob_store="s3")


def test_environment_and_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "modgate.toml"
    config.write_text('port = 9001\nmax_image_side = 4000\n[detection]\ndisabled = ["ocr"]\n')
    monkeypatch.setenv("MODGATE_CONFIG_FILE", str(config))
    monkeypatch.setenv("MODGATE_PORT", "9002")
    settings = load_settings()
    assert settings.port == 9002  # environment wins over the file
    assert settings.max_image_side == 4000
    assert settings.detection.disabled == ["ocr"]


def test_missing_config_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_CONFIG_FILE", "/nonexistent/modgate.toml")
    with pytest.raises(SettingsError, match="MODGATE_CONFIG_FILE"):
        load_settings()


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/modgate.db"
