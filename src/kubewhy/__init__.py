"""kubewhy: why is my Kubernetes node, pod or control plane broken?"""

import os as _os

# kubewhy must never become the incident: numeric libraries start a thread per CPU on import,
# which fails outright on a node that can no longer fork. One thread is all kubewhy needs.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
