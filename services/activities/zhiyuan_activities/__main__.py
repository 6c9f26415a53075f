"""``python -m zhiyuan_activities``: run the activities service."""

from zhiyuan_platform.service import run_service

from .entrypoints.app import build

if __name__ == "__main__":
    run_service(build())
