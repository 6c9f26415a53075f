"""``python -m zhiyuan_recognition``: run the recognition service."""

from zhiyuan_platform.service import run_service

from .entrypoints.app import build

if __name__ == "__main__":
    run_service(build())
