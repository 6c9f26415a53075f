"""``python -m zhiyuan_cli`` is the ``zhiyuan`` command."""

from .main import main

main()
