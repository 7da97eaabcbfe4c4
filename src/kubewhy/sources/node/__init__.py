"""The live node as evidence: ``collect_node(root, node_name) -> BundleWriter``."""

from kubewhy.sources.node.collector import collect_node

__all__ = ["collect_node"]
