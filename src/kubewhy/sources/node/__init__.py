"""The live node as evidence: ``collect_node(root, node_name) -> BundleWriter``."""

from typing import TYPE_CHECKING

__all__ = ["collect_node"]

# The collector is imported when it is first used: reading files only needs this package's
# reader (its time limits), not the collector's modules.
if TYPE_CHECKING:
    from kubewhy.sources.node.collector import collect_node
else:

    def __getattr__(name: str) -> object:
        if name == "collect_node":
            from kubewhy.sources.node.collector import collect_node

            return collect_node
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
