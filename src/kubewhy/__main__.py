"""``python -m kubewhy`` is the ``kubewhy`` command."""

from kubewhy.cli.main import run

run()
