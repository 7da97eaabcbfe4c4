"""Write the krew plugin manifest of a release (``plugins/kubewhy.yaml`` in krew-index).

    python packaging/krew_manifest.py --version 0.1.0 \\
        --homepage https://REPOSITORY --url-base https://REPOSITORY/releases/download/v0.1.0 \\
        dist/kubectl-kubewhy_linux_amd64.tar.gz [dist/kubectl-kubewhy_linux_arm64.tar.gz]

One platform per archive (``kubectl-kubewhy_<os>_<arch>.tar.gz``, from single_file.py), each with
its sha256. The name ``kubewhy``: ``why`` is taken in the krew index; krew's naming guide asks for a
unique name that points to the tool.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import yaml

DESCRIPTION = """\
kubewhy answers "why is my node, pod or control plane broken?" with a root cause,
the causal chain behind it, the evidence line for every link, the fix, and what
would have prevented it. It reads the cluster read-only (never Secrets), scoped
to the target and its neighbours.

  kubectl kubewhy node/worker-7          # why is this node broken?
  kubectl kubewhy pod/api-0 -n prod -o markdown
  kubectl kubewhy --audit -o json        # risks before anything breaks
"""
SHORT = "Root cause, causal chain, evidence and fix for broken nodes and pods"
CAVEATS = "Needs read access to nodes, pods, pods/log and events (deploy/rbac.yaml).\n"
ARCHIVE = re.compile(r"kubectl-kubewhy_(?P<os>[a-z]+)_(?P<arch>[a-z0-9]+)\.tar\.gz$")


def manifest(version: str, homepage: str, url_base: str, archives: list[Path]) -> dict[str, object]:
    platforms = []
    for archive in archives:
        found = ARCHIVE.search(archive.name)
        if found is None:
            raise SystemExit(
                f"krew_manifest: {archive.name}: not kubectl-kubewhy_<os>_<arch>.tar.gz"
            )
        platforms.append(
            {
                "selector": {"matchLabels": {"os": found["os"], "arch": found["arch"]}},
                "uri": f"{url_base.rstrip('/')}/{archive.name}",
                "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
                "bin": "kubectl-kubewhy",
                "files": [
                    {"from": "kubectl-kubewhy", "to": "."},
                    {"from": "LICENSE", "to": "."},
                ],
            }
        )
    return {
        "apiVersion": "krew.googlecontainertools.github.com/v1alpha2",
        "kind": "Plugin",
        "metadata": {"name": "kubewhy"},
        "spec": {
            "version": f"v{version.removeprefix('v')}",
            "homepage": homepage,
            "shortDescription": SHORT,
            "description": DESCRIPTION,
            "caveats": CAVEATS,
            "platforms": platforms,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archives", type=Path, nargs="+")
    parser.add_argument("--version", required=True)
    parser.add_argument("--homepage", required=True)
    parser.add_argument("--url-base", required=True)
    args = parser.parse_args()
    document = manifest(args.version, args.homepage, args.url_base, args.archives)
    print(yaml.safe_dump(document, sort_keys=False, width=100), end="")


if __name__ == "__main__":
    main()
