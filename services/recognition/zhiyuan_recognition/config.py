"""Recognition settings: the platform's plus the star policy in force."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from zhiyuan_platform.settings import ServiceSettings


class RecognitionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIYUAN_", extra="ignore")

    star_policy: str = "national-2012.v1"
    consumer_batch_size: int = 500
    # 公示: public notice before a commendation list is published (Guangdong asks ≥ 5 working days).
    notice_days: int = 7
