"""Planted secrets: none reaches anything kubewhy writes.

Each secret shape is planted in an evidence line that the knowledge base cites (so the line is
in the report, and the test could fail), then every report format is rendered; each `collect`
bundle is written from a source full of secrets (a recorded API server, a node tree, a
Prometheus URL with a password) and every file of the archive, the manifest included, is read.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest

from kubewhy.cli.main import ReportFormat
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.pipeline import Request, diagnose
from kubewhy.reports import render

from .run import run_kubewhy

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed000-calico-pid-exhaustion"
CITED = "Jul 23 22:09:58 node-xx kubelet[30411]: runtime: failed to create new OS thread"
CITED += " (have 5 already; errno=11)"
MARK = "failed to create new OS thread"
PEM_BODY = "MIIEowIBAAKCAQEAplantedKeyBodyLineOne0123456789abcdefABCDEF0123456789"

# (what is planted, what must never be shown)
SECRETS = {
    "aws-key": ("key AKIAPLANTED00EXAMPLE", "AKIAPLANTED00EXAMPLE"),
    "aws-secret": (
        "aws_secret_access_key=wJalrXUtnFEMIplanted7MDENGbPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMIplanted7",
    ),
    "mysql-p": ("mysql -uroot -pPlantedPass1 orders", "PlantedPass1"),
    "flag-space": ("--password PlantedPass2 --verbose", "PlantedPass2"),
    "quoted-spaces": ("password='Planted Pass 3'", "Planted Pass 3"),
    "json": ('{"level":"error","db_password":"PlantedPass4","msg":"x"}', "PlantedPass4"),
    "basic-auth": (
        "Authorization: Basic cGxhbnRlZDpQbGFudGVkUGFzczU=",
        "cGxhbnRlZDpQbGFudGVkUGFzczU",
    ),
    "url": ("GET https://admin:PlantedPass6@db.example.com:5432/x", "PlantedPass6"),
    "bearer": ("Authorization: Bearer PlantedBearerToken7abcdef", "PlantedBearerToken7"),
    "jwt": (
        "token eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJwbGFudGVkOCJ9.c2lnbmF0dXJl",
        "eyJzdWIiOiJwbGFudGVkOCJ9",
    ),
    "jwt-cut-by-clipping": (
        "x" * 560 + " eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJwbGFudGVkOSJ9.sig",
        "eyJhbGciOiJSUzI1NiIsImtp",
    ),
    "kubeconfig-key": (
        "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF",
        "LS0tLS1CRUdJTi",
    ),
    "pem-escaped": (
        f'{{"key":"-----BEGIN RSA PRIVATE KEY-----\\n{PEM_BODY}\\n-----END RSA PRIVATE KEY-----"}}',
        "plantedKeyBodyLineOne",
    ),
    "github": ("ghp_PlantedGithubToken0123456789abcdefAB", "PlantedGithubToken"),
    "token-kv": ("bootstrap-token: abcdef.plantedtoken11", "plantedtoken11"),
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return default_knowledge_base()


JOURNAL = "journalctl-u-kubelet.txt"


def evidence_with(tmp_path: Path, planted: str) -> Path:
    """The seed-000 evidence with ``planted`` at the end of every journal line it cites."""
    folder = tmp_path / "evidence"
    shutil.copytree(SEED, folder)
    journal = folder / JOURNAL
    lines = journal.read_text().splitlines()
    journal.write_text(
        "".join(
            f"{line} {planted}\n"
            if line.endswith("pthread_create failed: Resource temporarily unavailable")
            else line + "\n"
            for line in lines
        )
    )
    return folder


def formats() -> list[str]:
    return [f.value for f in ReportFormat]  # every report format there is, YAML and HTML included


@pytest.mark.parametrize("shape", sorted(SECRETS))
def test_no_planted_secret_reaches_any_report(
    tmp_path: Path, kb: KnowledgeBase, shape: str
) -> None:
    planted, secret = SECRETS[shape]
    diagnosis = diagnose(Request(paths=(evidence_with(tmp_path, planted),)), kb)
    cited = [
        e.text
        for f in diagnosis.findings
        for e in f.evidence
        if e.source.endswith(JOURNAL) and MARK in e.text
    ]
    assert cited, "the planted line is not in the report: the test would prove nothing"
    for fmt in formats():
        report = render(diagnosis, fmt)  # type: ignore[arg-type]
        assert secret not in report, (shape, fmt)
        assert "failed to create new" in report


def test_a_pem_across_two_evidence_lines_keeps_what_lies_between(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    folder = evidence_with(tmp_path, "-----BEGIN PRIVATE KEY-----")
    with (folder / JOURNAL).open("a") as out:
        out.write(f"{CITED} {PEM_BODY} -----END PRIVATE KEY-----\n")
    diagnosis = diagnose(Request(paths=(folder,)), kb)
    for fmt in formats():
        report = render(diagnosis, fmt)  # type: ignore[arg-type]
        assert "plantedKeyBodyLineOne" not in report
        assert "thread-leak-container" in report  # the sections around it are all there
        assert report.count("failed to create new OS thread") >= 2


def test_terminal_control_sequences_are_shown_not_sent(tmp_path: Path, kb: KnowledgeBase) -> None:
    folder = evidence_with(tmp_path, "\x1b]0;owned\x07\x1b[2J\x1b[31mred \u202eevil\x9b")
    diagnosis = diagnose(Request(paths=(folder,)), kb)
    for fmt in ("text", "markdown"):
        report = render(diagnosis, fmt)  # type: ignore[arg-type]
        assert "\x1b" not in report and "\x07" not in report and "\u202e" not in report
        assert "\x9b" not in report
    # Shown as escapes (the text report may clip the end of this long line at its width).
    assert "\\x1b]0;owned\\x07\\x1b[2J" in render(diagnosis, "markdown")


def test_obfuscate_replaces_addresses_and_the_node_name_consistently(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    folder = evidence_with(tmp_path, "dial tcp 10.96.0.1:443 from 10.96.0.1")
    ran = run_kubewhy("diagnose", str(folder), "--obfuscate", "--format", "json")
    assert ran.code == 1, ran.stderr
    assert "node-xx" not in ran.stdout and "10.96.0.1" not in ran.stdout
    assert "240.0.0.1:443 from 240.0.0.1" in ran.stdout


def all_text_of(archive: Path) -> str:
    with tarfile.open(archive) as tar:
        texts = []
        for member in tar.getmembers():
            data = tar.extractfile(member)
            assert data is not None
            texts.append(member.name + "\n" + data.read().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_collect_cluster_bundle_and_manifest_hold_no_secret(tmp_path: Path) -> None:
    import copy

    from tests.cluster.apiserver import RecordedApiServer, Scenario

    data = json.loads((ROOT / "tests" / "cluster" / "data" / "seed000.json").read_text())
    scenario = Scenario.load(ROOT / "tests" / "cluster" / "data" / "seed000.json")
    pod = copy.deepcopy(data["pods"][3])
    container = pod["spec"]["containers"][0]
    container["args"] = ["--password=PlantedArg1", "--db", "postgres://u:PlantedUrl2@db/x"]
    container["env"] = [
        {"name": "DATABASE_URL", "value": "mysql://root:PlantedEnv3@db:3306/app"},
        {"name": "API_TOKEN", "value": "PlantedEnv4"},
    ]
    pod["metadata"]["annotations"] = {"note": "token: PlantedAnnotation5"}
    pod["status"]["phase"] = "Failed"
    scenario.pods.append(pod)
    name, namespace = pod["metadata"]["name"], pod["metadata"]["namespace"]
    scenario.logs[f"{namespace}/{name}/{container['name']}"] = (
        "connecting with password=PlantedLog6 and Bearer PlantedLogToken7abc\n"
    )
    event = copy.deepcopy(data["events"][0])
    event["message"] = "pull failed: https://robot:PlantedEvent8@registry.example/v2/"
    scenario.events.append(event)
    with RecordedApiServer(scenario) as api:
        kubeconfig = api.kubeconfig(tmp_path)
        out = tmp_path / "cluster.tgz"
        node = pod["spec"]["nodeName"]
        ran = run_kubewhy(
            "collect", "cluster", f"node/{node}", "-o", str(out), "--kubeconfig", str(kubeconfig)
        )
    assert ran.code == 0, ran.stderr
    text = all_text_of(out)
    assert "PlantedEnv3" not in text
    for n, secret in enumerate(
        [
            "PlantedArg1",
            "PlantedUrl2",
            "PlantedEnv3",
            "PlantedEnv4",
            "PlantedAnnotation5",
            "PlantedLog6",
            "PlantedLogToken7",
            "PlantedEvent8",
        ],
        1,
    ):
        assert secret not in text, (n, secret)
    assert "kubewhy-test-token" not in text  # the kubeconfig's own token
    assert "connecting with password=[REDACTED]" in text  # the log itself is there


def test_collect_node_bundle_holds_no_kubelet_secret(tmp_path: Path) -> None:
    root = tmp_path / "host"
    files = {
        "proc/meminfo": "MemTotal: 8000000 kB\nMemAvailable: 400000 kB\n",
        "proc/uptime": "3600.50 7000.00\n",
        "proc/sys/kernel/hostname": "node-secret\n",
        "proc/4242/status": "Name:\tkubelet\nState:\tS (sleeping)\nPPid:\t1\nThreads:\t30\n",
        "proc/4242/cgroup": "0::/system.slice/kubelet.service\n",
        "proc/4242/cmdline": "\0".join(
            [
                "/usr/bin/kubelet",
                "--config=/var/lib/kubelet/config.yaml",
                "--bootstrap-token=abcdef.plantedboot1",
                "--password",
                "PlantedFlag2",
            ]
        ),
        "var/lib/kubelet/config.yaml": (
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
            "staticPodURLHeader:\n  Authorization: ['Bearer PlantedHeader3abcdef']\n"
            "token: PlantedConfig4\n"
        ),
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    out = tmp_path / "node.tgz"
    ran = run_kubewhy("collect", "node", "--root", str(root), "-o", str(out))
    assert ran.code == 0, ran.stderr
    text = all_text_of(out)
    assert "kubelet/config.yaml" in text
    for secret in ("plantedboot1", "PlantedFlag2", "PlantedHeader3", "PlantedConfig4"):
        assert secret not in text, secret


def test_prometheus_url_password_is_in_no_bundle_manifest_or_message(tmp_path: Path) -> None:
    from tests.prometheus.test_client import fake_prometheus

    with fake_prometheus("ok") as (url, state):
        secret_url = url.replace("://", "://ops:PlantedPromPass1@")
        out = tmp_path / "prom.tgz"
        ran = run_kubewhy("collect", "prometheus", secret_url, "-o", str(out))
    assert ran.code == 0, ran.stderr
    assert "PlantedPromPass1" not in all_text_of(out) + ran.stderr
    assert state.headers and all(h.startswith("Basic ") for h in state.headers)
    # A refused one: the one line on stderr names it, without the password.
    ran = run_kubewhy("diagnose", "--prometheus", "http://ops:PlantedPromPass2@127.0.0.1:9")
    assert ran.code == 3 and "refused" in ran.stderr and "PlantedPromPass2" not in ran.stderr
