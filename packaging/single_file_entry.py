"""The single-file build's entry point: ``kubewhy``, or the kubectl plugin when the file is named
``kubectl-kubewhy``."""

from kubewhy.cli.kubectl_plugin import run_by_name

run_by_name()
