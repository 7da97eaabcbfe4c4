"""kubewhy: why is my Kubernetes node, pod or control plane broken?"""

__version__ = "0.1.0"
