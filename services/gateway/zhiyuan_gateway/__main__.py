"""``python -m zhiyuan_gateway``: serve the gateway on ZHIYUAN_GATEWAY_HOST:ZHIYUAN_GATEWAY_PORT."""

import uvicorn

from zhiyuan_platform.logging import configure_logging

from .clients.bus import ServiceBus
from .core.config import GatewaySettings
from .main import create_app


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", fmt=settings.log_format, level=settings.log_level)
    app = create_app(settings, ServiceBus.from_settings(settings))
    # The gateway writes its own access log line (with the correlation id).
    uvicorn.run(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        access_log=False,
        log_level=settings.log_level.lower(),
        server_header=False,
    )


if __name__ == "__main__":
    main()
