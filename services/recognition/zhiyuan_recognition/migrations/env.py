from alembic import context

from zhiyuan_platform.migrate import run_env

run_env(context)
