# ruff: noqa: E501 - one realistic log line per pattern; long by nature
"""A built-in set of realistic failure patterns for the scan benchmark, with one example line each.

Used when the knowledge base cannot be loaded or is still small. Messages follow the shapes the
components really print (kubelet, containerd, kernel, kube-apiserver, etcd, CNI plugins,
systemd); the generator injects the examples into its background noise.
"""

from __future__ import annotations

# (regex, ignore_case, example message that matches it)
PATTERNS: list[tuple[str, bool, str]] = [
    # kernel
    (
        r"Memory cgroup out of memory: Killed process (?P<pid>\d+) \((?P<comm>[^)]+)\)",
        False,
        "Memory cgroup out of memory: Killed process 48213 (java) total-vm:9123456kB, anon-rss:2097152kB",
    ),
    (
        r"Out of memory: Killed process (?P<pid>\d+) \((?P<comm>[^)]+)\)",
        False,
        "Out of memory: Killed process 9912 (postgres) total-vm:4194304kB, anon-rss:3145728kB",
    ),
    (
        r"(?P<comm>\S+) invoked oom-killer: gfp_mask=0x[0-9a-f]+",
        False,
        "java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=968",
    ),
    (
        r"oom-kill:constraint=CONSTRAINT_(?P<constraint>MEMCG|NONE)",
        False,
        "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-containerd-1f2e.scope",
    ),
    (
        r"oom_reaper: reaped process (?P<pid>\d+) \((?P<comm>[^)]+)\)",
        False,
        "oom_reaper: reaped process 48213 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
    ),
    (
        r"nf_conntrack: (?:nf_conntrack: )?table full, dropping packet",
        False,
        "nf_conntrack: nf_conntrack: table full, dropping packet",
    ),
    (
        r"TCP: out of memory -- consider tuning tcp_mem",
        False,
        "TCP: out of memory -- consider tuning tcp_mem",
    ),
    (
        r"EXT4-fs error \(device (?P<dev>\w+)\)",
        False,
        "EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm kubelet: reading directory lblock 0",
    ),
    (
        r"XFS \((?P<dev>\w+)\): (?:metadata I/O error|Corruption detected)",
        False,
        'XFS (nvme1n1): metadata I/O error in "xfs_trans_read_buf_map" at daddr 0x2 len 1 error 5',
    ),
    (
        r"blk_update_request: I/O error, dev (?P<dev>\w+), sector (?P<sector>\d+)",
        False,
        "blk_update_request: I/O error, dev nvme0n1, sector 4096 op 0x1:(WRITE) flags 0x800",
    ),
    (
        r"Buffer I/O error on dev (?P<dev>[\w-]+), logical block (?P<block>\d+)",
        False,
        "Buffer I/O error on dev dm-0, logical block 0, lost async page write",
    ),
    (
        r"task (?P<comm>\S+):(?P<pid>\d+) blocked for more than (?P<secs>\d+) seconds",
        False,
        "INFO: task containerd:1123 blocked for more than 120 seconds.",
    ),
    (
        r"watchdog: BUG: soft lockup - CPU#(?P<cpu>\d+) stuck for (?P<secs>\d+)s",
        False,
        "watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [kworker/3:1:4412]",
    ),
    (
        r"rcu: INFO: rcu_sched (?:self-)?detected stall",
        False,
        "rcu: INFO: rcu_sched self-detected stall on CPU",
    ),
    (
        r"NETDEV WATCHDOG: (?P<dev>\S+) \(\S+\): transmit queue (?P<q>\d+) timed out",
        False,
        "NETDEV WATCHDOG: eth0 (ena): transmit queue 2 timed out",
    ),
    (
        r"(?P<comm>\S+)\[(?P<pid>\d+)\]: segfault at [0-9a-f]+ ip [0-9a-f]+ sp [0-9a-f]+",
        False,
        "coredns[2231]: segfault at 0 ip 000000000045a1b2 sp 000000c000a3fe58 error 4 in coredns[400000+1c4f000]",
    ),
    (
        r"Kernel panic - not syncing: (?P<reason>.+)",
        False,
        "Kernel panic - not syncing: Fatal exception in interrupt",
    ),
    (
        r"BUG: unable to handle (?:kernel )?(?:NULL pointer dereference|page fault)",
        False,
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000010",
    ),
    (
        r"neighbour: arp_cache: neighbor table overflow",
        False,
        "neighbour: arp_cache: neighbor table overflow!",
    ),
    (
        r"cgroup: fork rejected by pids controller in (?P<cgroup>\S+)",
        False,
        "cgroup: fork rejected by pids controller in /kubepods.slice/kubepods-burstable.slice/cri-containerd-ab12.scope",
    ),
    (
        r"nfs: server (?P<server>\S+) not responding",
        False,
        "nfs: server 10.0.3.14 not responding, still trying",
    ),
    (r"VFS: file-max limit (?P<limit>\d+) reached", False, "VFS: file-max limit 9223372 reached"),
    (
        r"IPVS: rr: (?P<proto>TCP|UDP) (?P<vip>[\d.:]+) - no destination available",
        False,
        "IPVS: rr: TCP 10.96.0.10:53 - no destination available",
    ),
    (
        r"Hardware Error|Machine check events logged",
        False,
        "mce: [Hardware Error]: Machine check events logged",
    ),
    (
        r"EDAC MC\d+: \d+ (?:CE|UE) memory (?:read )?error",
        False,
        "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0",
    ),
    (
        r"device (?P<dev>\S+) entered promiscuous mode",
        False,
        "device vethc12f3a4 entered promiscuous mode",
    ),
    (r"audit: backlog limit exceeded", False, "audit: backlog limit exceeded"),
    (
        r"inotify_add_watch.*(?:no space left on device|too many open files)",
        True,
        "inotify_add_watch(/var/log/containers) failed: No space left on device",
    ),
    (r"Too many open files", True, "accept tcp [::]:10250: accept4: too many open files"),
    (
        r"unregister_netdevice: waiting for (?P<dev>\S+) to become free",
        False,
        "unregister_netdevice: waiting for eth0 to become free. Usage count = 1",
    ),
    # kubelet
    (
        r"PLEG is not healthy: pleg was last seen active (?P<ago>\S+) ago",
        False,
        'kubelet.go:2189] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m4.13s ago; threshold is 3m0s"',
    ),
    (
        r"\"Eviction manager: attempting to reclaim\" resourceName=\"(?P<resource>[\w.-]+)\"",
        False,
        'eviction_manager.go:349] "Eviction manager: attempting to reclaim" resourceName="ephemeral-storage"',
    ),
    (
        r"\"Eviction manager: pods ranked for eviction\"",
        False,
        'eviction_manager.go:360] "Eviction manager: pods ranked for eviction" pods=["default/web-0"]',
    ),
    (
        r"\"Eviction manager: pod is evicted successfully\" pod=\"(?P<pod>[^\"]+)\"",
        False,
        'eviction_manager.go:583] "Eviction manager: pod is evicted successfully" pod="default/web-0"',
    ),
    (
        r"must evict pod\(s\) to reclaim (?P<resource>\w+)",
        False,
        "eviction manager: must evict pod(s) to reclaim memory",
    ),
    (
        r"Failed to garbage collect required amount of images",
        False,
        'kubelet.go:1400] "Image garbage collection failed multiple times in a row" err="Failed to garbage collect required amount of images. Wanted to free 8123456 bytes, but freed 0 bytes"',
    ),
    (
        r"Disk usage on image filesystem is at (?P<pct>\d+)% which is over the high threshold",
        False,
        'image_gc_manager.go:310] "Disk usage on image filesystem is over the high threshold, trying to free bytes down to the low threshold" usage=91 highThreshold=85 amountToFree=123 lowThreshold=80 Disk usage on image filesystem is at 91% which is over the high threshold (85%)',
    ),
    (
        r"Back-off restarting failed container|back-off \S+ restarting failed container=(?P<container>\S+)",
        False,
        'pod_workers.go:965] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=app pod=web-0_default(8d2c)\\""',
    ),
    (
        r"CrashLoopBackOff",
        False,
        'kuberuntime_manager.go:1012] "Back-off" reason="CrashLoopBackOff"',
    ),
    (
        r"\"Probe failed\" probeType=\"(?P<probe>Liveness|Readiness|Startup)\"",
        False,
        'prober.go:116] "Probe failed" probeType="Liveness" pod="default/web-0" podUID=8d2c containerName="app" probeResult=failure output="HTTP probe failed with statuscode: 503"',
    ),
    (
        r"(?P<probe>Liveness|Readiness|Startup) probe failed:",
        False,
        'Liveness probe failed: Get "http://10.244.1.7:8080/healthz": context deadline exceeded',
    ),
    (
        r"Container runtime network not ready",
        False,
        'kubelet.go:2373] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"',
    ),
    (
        r"cni plugin not initialized",
        False,
        "Network plugin returns error: cni plugin not initialized",
    ),
    (
        r"\"Node became not ready\" node=\"(?P<node>[^\"]+)\"",
        False,
        'setters.go:552] "Node became not ready" node="ip-10-0-1-12" condition={Type:Ready Status:False}',
    ),
    (
        r"Unable to register node with API server",
        False,
        'kubelet_node_status.go:92] "Unable to register node with API server" err="Post \\"https://10.0.0.1:6443/api/v1/nodes\\": dial tcp 10.0.0.1:6443: connect: connection refused" node="ip-10-0-1-12"',
    ),
    (
        r"Failed to ensure lease exists, will retry",
        False,
        'controller.go:146] "Failed to ensure lease exists, will retry" err="Get \\"https://10.0.0.1:6443/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1\\": net/http: request canceled" interval="7s"',
    ),
    (
        r"Error updating node status, will retry",
        False,
        'kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \\"n1\\": Get \\"https://10.0.0.1:6443/api/v1/nodes/n1?timeout=10s\\": context deadline exceeded"',
    ),
    (
        r"Unable to update node status\" err=\"update node status exceeds retry count",
        False,
        'kubelet_node_status.go:527] "Unable to update node status" err="update node status exceeds retry count"',
    ),
    (
        r"x509: certificate has expired or is not yet valid",
        False,
        "x509: certificate has expired or is not yet valid: current time 2023-07-23T22:09:01Z is after 2023-07-20T10:00:00Z",
    ),
    (
        r"certificate_manager\.go.*Certificate rotation failed|failed to rotate (?:client|server) certificate",
        False,
        'certificate_manager.go:488] "Certificate rotation failed" err="certificate request was not signed: timed out waiting for the condition"',
    ),
    (
        r"MountVolume\.SetUp failed for volume \"(?P<volume>[^\"]+)\"",
        False,
        'nestedpendingoperations.go:348] Operation for "{volumeName:kubernetes.io/secret/8d2c-tls}" failed. Error: MountVolume.SetUp failed for volume "tls" : secret "tls" not found',
    ),
    (
        r"Unable to attach or mount volumes: unmounted volumes=\[(?P<volumes>[^\]]*)\]",
        False,
        'pod_workers.go:965] "Error syncing pod, skipping" err="unmounted volumes=[data], unattached volumes=[data]: timed out waiting for the condition" Unable to attach or mount volumes: unmounted volumes=[data]',
    ),
    (
        r"AttachVolume\.Attach failed for volume \"(?P<volume>[^\"]+)\"",
        False,
        'reconciler.go:304] AttachVolume.Attach failed for volume "pvc-1a2b" : rpc error: code = DeadlineExceeded',
    ),
    (
        r"MountVolume\.MountDevice failed for volume \"(?P<volume>[^\"]+)\"",
        False,
        'MountVolume.MountDevice failed for volume "pvc-1a2b" : rpc error: code = Internal desc = mount failed: exit status 32',
    ),
    (
        r"UnmountVolume\.TearDown failed for volume",
        False,
        'UnmountVolume.TearDown failed for volume "data" (UniqueName: "kubernetes.io/csi/ebs^vol-1") : rpc error: code = Unavailable',
    ),
    (
        r'failed to pull and unpack image \\?"(?P<image>[^"\\]+)',
        False,
        'kuberuntime_image.go:53] "Failed to pull image" err="rpc error: code = NotFound desc = failed to pull and unpack image \\"docker.io/library/ngnix:1.25\\": not found"',
    ),
    (
        r"ErrImagePull|ImagePullBackOff",
        False,
        'pod_workers.go:965] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with ImagePullBackOff"',
    ),
    (
        r"toomanyrequests: You have reached your pull rate limit",
        True,
        "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating",
    ),
    (
        r"\"Failed to create sandbox for pod\"",
        False,
        'kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to setup network for sandbox"',
    ),
    (
        r"failed to setup network for sandbox \"(?P<sandbox>[0-9a-f]+)\"",
        False,
        'failed to setup network for sandbox "4f1c2a9b8e7d": plugin type="calico" failed (add): error getting ClusterInformation: connection is unauthorized',
    ),
    (
        r"\"StopPodSandbox from runtime service failed\"",
        False,
        'remote_runtime.go:205] "StopPodSandbox from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded"',
    ),
    (
        r"\"KillPodSandbox\" for \"(?P<poduid>[0-9a-f-]+)\" with KillPodSandboxError",
        False,
        'failed to "KillPodSandbox" for "8d2c7f3e-1b2a-4c5d-9e8f-001122334455" with KillPodSandboxError: "rpc error: code = Unknown"',
    ),
    (
        r"OCI runtime (?:create|start|exec) failed",
        False,
        'OCI runtime create failed: runc create failed: unable to start container process: exec: "/app": permission denied',
    ),
    (
        r"runc create failed: unable to start container process: (?P<reason>.+)",
        False,
        "runc create failed: unable to start container process: error during container init: error setting cgroup config",
    ),
    (
        r"kubelet cgroup driver: \"(?P<kubelet>\w+)\" is different from (?:docker|container runtime) cgroup driver: \"(?P<runtime>\w+)\"",
        False,
        'failed to run Kubelet: misconfiguration: kubelet cgroup driver: "systemd" is different from docker cgroup driver: "cgroupfs"',
    ),
    (
        r"running with swap on is not supported",
        False,
        'run.go:74] "command failed" err="failed to run Kubelet: running with swap on is not supported, please disable swap!"',
    ),
    (
        r"\"Failed to start ContainerManager\"",
        False,
        'kubelet.go:1397] "Failed to start ContainerManager" err="failed to initialize top level QOS containers"',
    ),
    (
        r"System OOM encountered, victim process: (?P<comm>\S+), pid: (?P<pid>\d+)",
        False,
        'kubelet.go:1334] "System OOM encountered, victim process: java, pid: 48213"',
    ),
    (
        r"\"Housekeeping took longer than expected\".*actual=\"(?P<actual>[^\"]+)\"",
        False,
        'kubelet.go:2239] "Housekeeping took longer than expected" err="housekeeping took too long" expected="1s" actual="14.223s"',
    ),
    (
        r"Orphaned pod \"(?P<poduid>[0-9a-f-]+)\" found, but",
        False,
        'kubelet_volumes.go:245] "There were many similar errors. Turn up verbosity to see them." err="orphaned pod \\"8d2c\\" found, but error not a directory occurred" Orphaned pod "8d2c7f3e-1b2a" found, but volume paths are still present on disk',
    ),
    (
        r"no space left on device",
        True,
        'failed to write "/var/lib/kubelet/pods/8d2c/volumes/etc-hosts": write /var/lib/kubelet/pods/8d2c/etc-hosts: no space left on device',
    ),
    (
        r"\"Failed to update stats for container\"",
        False,
        'manager.go:1111] "Failed to update stats for container" err="failure - /sys/fs/cgroup/cpu,cpuacct/kubepods/besteffort: read: no such device"',
    ),
    (
        r'failed to get cgroup stats for \\?"(?P<cgroup>[^"\\]+)',
        False,
        'summary_sys_containers.go:48] "Failed to get system container stats" err="failed to get cgroup stats for \\"/system.slice/docker.service\\": failed to get container info"',
    ),
    (
        r"Predicate (?P<predicate>\w+) failed",
        False,
        'predicate.go:132] "Predicate failed on Pod" pod="default/web-0" err="Node didn\'t have enough resource: memory" Predicate NodeResourcesFit failed',
    ),
    (
        r"OutOf(?P<resource>cpu|memory|pods|ephemeral-storage)",
        False,
        'kubelet.go:1928] "Pod admission denied" podUID=8d2c pod="default/web-0" reason="OutOfmemory"',
    ),
    (
        r"\"Static pod failed\"|static pod .* (?:unhealthy|failed)",
        False,
        'kubelet.go:1880] "Static pod failed" pod="kube-system/kube-apiserver-n1"',
    ),
    (
        r"\"Failed to delete cgroup paths\"",
        False,
        'pod_container_manager_linux.go:201] "Failed to delete cgroup paths" cgroupName=[kubepods besteffort pod8d2c] err="unable to destroy cgroup paths"',
    ),
    (
        r"SyncLoop \(PLEG\): event for pod.*ContainerDied",
        False,
        'kubelet.go:2149] "SyncLoop (PLEG): event for pod" pod="default/web-0" event=&{ID:8d2c Type:ContainerDied Data:4f1c}',
    ),
    (
        r"\"Killing container with a grace period\"",
        False,
        'kuberuntime_container.go:709] "Killing container with a grace period" pod="default/web-0" podUID=8d2c containerName="app" gracePeriod=30',
    ),
    (
        r"failed to reserve (?:sandbox|container) name",
        False,
        'failed to reserve sandbox name "web-0_default_8d2c_0": name "web-0_default_8d2c_0" is reserved for "4f1c"',
    ),
    (
        r'node \\?"(?P<node>[^"\\]+)\\?" not found',
        False,
        'kubelet.go:2448] "Error getting node" err="node \\"ip-10-0-1-12\\" not found"',
    ),
    (
        r"Failed to get status for pod",
        False,
        'status_manager.go:667] "Failed to get status for pod" podUID=8d2c pod="default/web-0" err="Get \\"https://10.0.0.1:6443\\": dial tcp: i/o timeout"',
    ),
    (
        r"\"Nameserver limits exceeded\"",
        False,
        'dns.go:153] "Nameserver limits exceeded" err="Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.0.0.2 1.1.1.1 8.8.8.8"',
    ),
    (
        r"topology_manager\.go.*(?:failed|TopologyAffinityError)",
        False,
        'topology_manager.go:207] "Topology Admit Handler" TopologyAffinityError failed to admit pod',
    ),
    (
        r"cpu_manager\.go.*(?:failed|error)",
        True,
        'cpu_manager.go:231] "Static policy Error: failed to allocate" cpumanager',
    ),
    (
        r"\"Unable to fetch pod log stats\"",
        False,
        'log_metrics.go:66] "Unable to fetch pod log stats" err="open /var/log/pods/default_web-0: no such file or directory"',
    ),
    # containerd / CRI / runc
    (
        r"shim disconnected\" id=(?P<id>[0-9a-f]+)",
        False,
        'time="2023-07-23T22:09:01.123456789Z" level=info msg="shim disconnected" id=4f1c2a9b8e7d namespace=k8s.io',
    ),
    (
        r"cleaning up after shim disconnected",
        False,
        'time="2023-07-23T22:09:01.2Z" level=warning msg="cleaning up after shim disconnected" id=4f1c namespace=k8s.io',
    ),
    (
        r"failed to handle container TaskExit event",
        False,
        'time="2023-07-23T22:09:01.3Z" level=error msg="failed to handle container TaskExit event &TaskExit{ContainerID:4f1c,}" error="failed to stop container: context deadline exceeded"',
    ),
    (
        r"ttrpc: closed",
        False,
        'level=error msg="get state for 4f1c" error="ttrpc: closed: unknown"',
    ),
    (
        r"failed to load cni during init",
        False,
        'level=error msg="failed to load cni during init, please check CRI plugin status before setting up network for pods" error="cni config load failed: no network config found in /etc/cni/net.d"',
    ),
    (
        r"no network config found in (?P<dir>\S+)",
        False,
        "cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized",
    ),
    (
        r'failed to destroy network for sandbox \\?"(?P<sandbox>[0-9a-f]+)',
        False,
        'level=error msg="StopPodSandbox for \\"4f1c\\" failed" error="failed to destroy network for sandbox \\"4f1c2a9b\\": plugin type=\\"calico\\" failed (delete)"',
    ),
    (
        r"failed to exec in container: failed to start exec",
        False,
        'level=error msg="ExecSync for \\"4f1c\\" failed" error="failed to exec in container: failed to start exec \\"9a8b\\": OCI runtime exec failed"',
    ),
    (
        r'ExecSync for \\?"(?P<id>[0-9a-f]+)\\?" failed',
        False,
        'level=error msg="ExecSync for \\"4f1c2a\\" failed" error="rpc error: code = DeadlineExceeded"',
    ),
    (
        r"collecting metrics for (?P<id>[0-9a-f]+)\" error=",
        False,
        'level=error msg="collecting metrics for 4f1c2a" error="cgroups: cgroup deleted: unknown"',
    ),
    (
        r"failed to create containerd task",
        False,
        'level=error msg="RunPodSandbox for &PodSandboxMetadata{Name:web-0,} failed" error="failed to create containerd task: failed to create shim task: OCI runtime create failed"',
    ),
    (
        r"failed to create shim(?: task)?:",
        False,
        "failed to create shim task: OCI runtime create failed: container_linux.go:380: starting container process caused",
    ),
    (
        r"containerd: (?:failed to|unable to) (?:mount|unmount) (?P<path>\S+)",
        False,
        "containerd: failed to mount /run/containerd/io.containerd.runtime.v2.task/k8s.io/4f1c/rootfs: device or resource busy",
    ),
    (
        r"snapshotter.*(?:failed|error).*(?:device or resource busy|no space left)",
        True,
        'level=error msg="snapshotter overlayfs failed to prepare" error="mkdir /var/lib/containerd: no space left on device"',
    ),
    (
        r"failed to pull image .* 429 Too Many Requests",
        True,
        'level=error msg="PullImage \\"nginx:1.25\\" failed" error="failed to pull image \\"nginx:1.25\\": unexpected status: 429 Too Many Requests"',
    ),
    (
        r"dial unix /run/containerd/containerd\.sock: connect: (?:no such file|connection refused)",
        False,
        'remote_runtime.go:168] "Version from runtime service failed" err="rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing dial unix /run/containerd/containerd.sock: connect: connection refused\\""',
    ),
    (
        r"container runtime is down|PLEG is not healthy",
        False,
        'kubelet.go:2349] "Skipping pod synchronization" err="container runtime is down"',
    ),
    (
        r"docker daemon is not running|Cannot connect to the Docker daemon",
        True,
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    ),
    (
        r"level=error msg=\"Handler for (?P<method>GET|POST|DELETE) (?P<path>\S+) returned error",
        False,
        'level=error msg="Handler for POST /v1.41/containers/create returned error: No such image: app:latest"',
    ),
    # kube-apiserver
    (
        r"etcdserver: request timed out",
        False,
        'status.go:71] apiserver received an error that is not an metav1.Status: &errors.errorString{s:"etcdserver: request timed out"}',
    ),
    (
        r"etcdserver: leader changed",
        False,
        'status.go:71] apiserver received an error that is not an metav1.Status: rpctypes.EtcdError{code:0xe, desc:"etcdserver: leader changed"}',
    ),
    (
        r"etcdserver: (?:mvcc: )?database space exceeded",
        False,
        "etcdserver: mvcc: database space exceeded",
    ),
    (
        r"mvcc: required revision has been compacted",
        False,
        "watcher.go:229] watch chan error: etcdserver: mvcc: required revision has been compacted",
    ),
    (
        r"Unable to authenticate the request\" err=\"\[(?P<reason>[^\]]+)\]",
        False,
        'authentication.go:63] "Unable to authenticate the request" err="[x509: certificate has expired or is not yet valid, verifying certificate SN=1]"',
    ),
    (
        r"http: TLS handshake error from (?P<addr>[\d.:\[\]a-f]+): (?P<err>.+)",
        False,
        "http: TLS handshake error from 10.0.1.12:51234: remote error: tls: bad certificate",
    ),
    (
        r"failed calling webhook \"(?P<webhook>[^\"]+)\"",
        False,
        'dispatcher.go:184] failed calling webhook "validate.gatekeeper.sh": failed to call webhook: Post "https://gatekeeper-webhook.gatekeeper-system.svc:443/v1/admit?timeout=3s": context deadline exceeded',
    ),
    (
        r"timeout or abort while handling: method=(?P<method>\w+) URI=\"(?P<uri>[^\"]+)\"",
        False,
        'timeout.go:141] post-timeout activity - time-elapsed: 2.1s, GET "/api/v1/pods" result: <nil> timeout or abort while handling: method=GET URI="/api/v1/pods?watch=true" audit-ID="1a2b"',
    ),
    (
        r"\"Too many requests\"|Too many requests, please try again later",
        False,
        'apf_filter.go:190] "Too many requests, please try again later" flowSchema="workload-low"',
    ),
    (
        r"apf_controller.*(?:rejected|queue full)",
        False,
        'apf_controller.go:450] "Request rejected" reason="queue-full" priorityLevel="workload-low"',
    ),
    (
        r"Unable to allocate (?:IP|port|node port).* for service",
        True,
        'controller.go:145] "Unable to allocate IP for service" service="default/web" err="range is full"',
    ),
    (
        r"the cluster IP (?P<ip>[\d.]+) for service (?P<svc>\S+) is not within the service CIDR",
        False,
        "repair.go:269] the cluster IP 10.97.1.2 for service web/default is not within the service CIDR 10.96.0.0/16; please recreate",
    ),
    (
        r"storage is (?:re)?initializing|etcd cluster is unavailable or misconfigured",
        False,
        "healthz check failed: etcd cluster is unavailable or misconfigured",
    ),
    (r"\[-\]etcd failed: reason withheld", False, "[-]etcd failed: reason withheld"),
    (
        r"Failed to list \*v1\.(?P<kind>\w+): (?P<err>.+)",
        False,
        'reflector.go:424] k8s.io/client-go/informers/factory.go:150: Failed to list *v1.Endpoints: Get "https://10.0.0.1:6443/api/v1/endpoints?limit=500": dial tcp 10.0.0.1:6443: i/o timeout',
    ),
    (
        r"Failed to watch \*v1\.(?P<kind>\w+): (?P<err>.+)",
        False,
        "reflector.go:138] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Node: failed to list *v1.Node: Unauthorized",
    ),
    (
        r"leaderelection lost|failed to renew lease (?P<lease>\S+): timed out",
        False,
        "leaderelection.go:330] failed to renew lease kube-system/kube-scheduler: timed out waiting for the condition",
    ),
    (r"\"Leader election lost\"", False, 'server.go:242] "Leader election lost"'),
    (
        r"error retrieving resource lock (?P<lock>\S+):",
        False,
        'leaderelection.go:330] error retrieving resource lock kube-system/kube-controller-manager: Get "https://10.0.0.1:6443/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s": context deadline exceeded',
    ),
    (
        r"0/(?P<total>\d+) nodes are available: (?P<reasons>.+)",
        False,
        'schedule_one.go:866] "Unable to schedule pod; no fit; waiting" pod="default/web-0" err="0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory."',
    ),
    (
        r"Insufficient (?P<resource>cpu|memory|pods|ephemeral-storage|nvidia\.com/gpu)",
        False,
        "2 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector.",
    ),
    (
        r"had volume node affinity conflict",
        False,
        "0/3 nodes are available: 3 node(s) had volume node affinity conflict.",
    ),
    (
        r"had untolerated taint \{(?P<taint>[^}]+)\}",
        False,
        "1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }",
    ),
    (
        r"Error syncing (?:deployment|replicaset|statefulset|daemonset|job)\"? (?:\w+=)?\"?(?P<obj>[^\"\s]+)",
        True,
        'deployment_controller.go:490] "Error syncing deployment" deployment="default/web" err="Operation cannot be fulfilled"',
    ),
    (
        r"\"Attempting to mark node (?P<node>\S+) as NotReady\"|Node (?P<node2>\S+) is NotReady",
        False,
        'node_lifecycle_controller.go:1111] "Node is NotReady" node="ip-10-0-1-12" Node ip-10-0-1-12 is NotReady',
    ),
    (
        r"Evicting pods on node|taint-based eviction|NoExecuteTaintManager.*deleting pod",
        False,
        'taint_manager.go:106] "NoExecuteTaintManager is deleting pod" pod="default/web-0"',
    ),
    # etcd
    (
        r"apply request took too long",
        False,
        '{"level":"warn","ts":"2023-07-23T22:09:01.123Z","caller":"etcdserver/util.go:166","msg":"apply request took too long","took":"1.52s","expected-duration":"100ms"}',
    ),
    (
        r"slow fdatasync",
        False,
        '{"level":"warn","ts":"2023-07-23T22:09:01.2Z","caller":"wal/wal.go:802","msg":"slow fdatasync","took":"1.9s","expected-duration":"1s"}',
    ),
    (
        r"leader failed to send out heartbeat on time",
        False,
        '{"level":"warn","msg":"leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk","to":"8e9e05c52164694d","heartbeat-interval":"100ms"}',
    ),
    (
        r"elected leader (?P<leader>[0-9a-f]+) at term (?P<term>\d+)",
        False,
        '{"level":"info","msg":"raft.node: 8e9e05c52164694d elected leader 8e9e05c52164694d at term 5"}',
    ),
    (
        r"lost (?:the )?TCP streaming connection with (?:remote )?peer",
        False,
        '{"level":"warn","msg":"lost TCP streaming connection with remote peer","stream-reader-type":"stream MsgApp v2"}',
    ),
    (
        r"prober detected unhealthy status",
        False,
        '{"level":"warn","msg":"prober detected unhealthy status","round-tripper-name":"ROUND_TRIPPER_RAFT_MESSAGE","remote-peer-id":"9f1c"}',
    ),
    (
        r"rejected connection from \"(?P<addr>[^\"]+)\"",
        False,
        '{"level":"warn","msg":"rejected connection","remote-addr":"10.0.1.12:51234","error":"tls: failed to verify client certificate"} rejected connection from "10.0.1.12:51234"',
    ),
    (
        r"request stats\",\"start time\".*\"took\":\"(?P<took>[\d.]+s)\"",
        False,
        '{"level":"warn","msg":"request stats","start time":"2023-07-23T22:09:01Z","time spent":"2.3s","took":"2.3s"}',
    ),
    (
        r"\"alarm\":\"NOSPACE\"|alarm:NOSPACE",
        False,
        '{"level":"warn","msg":"alarm raised","alarm":"NOSPACE","from":"8e9e"}',
    ),
    (
        r"failed to reach the peer URL",
        False,
        '{"level":"warn","msg":"failed to reach the peer URL","address":"https://10.0.0.3:2380/version"}',
    ),
    (
        r"waiting for ReadIndex response took too long",
        False,
        '{"level":"warn","msg":"waiting for ReadIndex response took too long, retrying","sent-request-id":7}',
    ),
    (
        r"timed out waiting for read index response",
        False,
        '{"level":"warn","msg":"timed out waiting for read index response (local node might have slow network)","timeout":"7s"}',
    ),
    # CNI and networking
    (
        r"plugin type=\"(?P<plugin>\w+)\" failed \((?P<op>add|delete|check)\)",
        False,
        'failed to setup network for sandbox "9a8b": plugin type="calico" failed (add): stat /var/lib/calico/nodename: no such file or directory',
    ),
    (
        r"stat /var/lib/calico/nodename: no such file or directory",
        False,
        "stat /var/lib/calico/nodename: no such file or directory: check that the calico/node container is running",
    ),
    (
        r"failed to allocate for range \d+: no IP addresses available in range set",
        False,
        "failed to allocate for range 0: no IP addresses available in range set: 10.244.1.1-10.244.1.254",
    ),
    (
        r"ipam.*(?:exhausted|no more free|failed to allocate)",
        True,
        'level=error msg="IPAM: failed to allocate address" error="range exhausted"',
    ),
    (
        r"Unable to update cni config: no networks found in (?P<dir>\S+)",
        False,
        "Unable to update cni config: no networks found in /etc/cni/net.d",
    ),
    (
        r"Unable to contact k8s api-server|BPF map \S+ is full",
        True,
        'level=error msg="Unable to contact k8s api-server" subsys=k8s cilium',
    ),
    (
        r"iptables(?:-restore)?: (?:line \d+ failed|Resource temporarily unavailable|Couldn't load)",
        True,
        'proxier.go:1516] "Failed to execute iptables-restore" err="exit status 1 (iptables-restore: line 12 failed)"',
    ),
    (
        r"Failed to execute iptables-restore",
        False,
        'proxier.go:1516] "Failed to execute iptables-restore" err="exit status 4: Another app is currently holding the xtables lock"',
    ),
    (
        r"Another app is currently holding the xtables lock",
        False,
        "Another app is currently holding the xtables lock. Stopped waiting after 5s.",
    ),
    (
        r"\[FATAL\] plugin/loop: Loop \((?P<from>[\d.:]+) -> (?P<to>[\d.:]+)\) detected",
        False,
        '[FATAL] plugin/loop: Loop (127.0.0.1:46342 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting',
    ),
    (
        r"\[ERROR\] plugin/errors: \d+ (?P<name>\S+) (?P<type>[A-Z]+): (?P<err>.+i/o timeout)",
        False,
        "[ERROR] plugin/errors: 2 api.example.com. A: read udp 10.244.1.5:43122->10.0.0.2:53: i/o timeout",
    ),
    (
        r"dial tcp (?P<addr>[\d.:\[\]a-f]+): (?:i/o timeout|connect: connection refused|connect: no route to host)",
        False,
        'Get "https://10.96.0.1:443/api?timeout=32s": dial tcp 10.96.0.1:443: i/o timeout',
    ),
    (r"connect: no route to host", False, "dial tcp 10.0.3.9:2379: connect: no route to host"),
    (
        r"conntrack.*(?:insert_failed|drop)\s*=\s*[1-9]",
        True,
        "conntrack stats: cpu=1 found=0 invalid=12 insert=0 insert_failed=37 drop=37 early_drop=0",
    ),
    (
        r"Error registering network: (?P<err>.+)",
        True,
        'E0723 22:09:01.123456 1 main.go:333] Error registering network: failed to acquire lease: node "n1" pod cidr not assigned flannel',
    ),
    (
        r"Failed to acquire lease|pod cidr not assigned",
        True,
        "Error registering network: failed to acquire lease: node pod cidr not assigned",
    ),
    # systemd and the node
    (
        r"(?P<unit>[\w@.-]+\.service): Main process exited, code=(?P<code>\w+), status=(?P<status>\S+)",
        False,
        "kubelet.service: Main process exited, code=exited, status=1/FAILURE",
    ),
    (
        r"(?P<unit>[\w@.-]+\.service): Failed with result '(?P<result>[\w-]+)'",
        False,
        "containerd.service: Failed with result 'oom-kill'.",
    ),
    (
        r"(?P<unit>[\w@.-]+\.service): Scheduled restart job, restart counter is at (?P<n>\d+)",
        False,
        "kubelet.service: Scheduled restart job, restart counter is at 42.",
    ),
    (
        r"Failed to start (?P<what>.+)\.",
        False,
        "Failed to start kubelet: The Kubernetes Node Agent.",
    ),
    (
        r"(?P<unit>[\w@.-]+\.service): A process of this unit has been killed by the OOM killer",
        False,
        "containerd.service: A process of this unit has been killed by the OOM killer.",
    ),
    (
        r"(?P<unit>[\w@.-]+\.(?:service|scope)): Consumed .* CPU time",
        False,
        "cri-containerd-4f1c.scope: Consumed 1h 2min 3.456s CPU time.",
    ),
    (
        r"systemd-journald\[\d+\]: (?:Suppressed \d+ messages|Missed \d+ kernel messages)",
        False,
        "systemd-journald[312]: Suppressed 1204 messages from kubelet.service",
    ),
    (
        r"chronyd.*(?:System clock wrong|Can't synchronise|No suitable source)",
        True,
        "chronyd[611]: System clock wrong by 312.445 seconds",
    ),
    (r"Time has been changed|clock skew detected", True, "systemd[1]: Time has been changed"),
    (
        r"kernel: (?:Out of memory|oom-kill|Memory cgroup)",
        False,
        "kernel: Memory cgroup stats for /kubepods.slice/kubepods-burstable.slice",
    ),
    (
        r"sshd\[\d+\]: (?:error|fatal):",
        False,
        "sshd[2211]: error: kex_exchange_identification: Connection closed by remote host",
    ),
    (r"disk quota exceeded", True, "write /var/lib/containerd/tmpmounts: Disk quota exceeded"),
    (
        r"read-only file system",
        True,
        "open /var/lib/kubelet/pods/8d2c/etc-hosts: read-only file system",
    ),
    (r"input/output error", True, "read /var/lib/etcd/member/wal/0000.wal: input/output error"),
    (
        r"resource temporarily unavailable.*fork|fork/exec .*: resource temporarily unavailable",
        True,
        "fork/exec /usr/bin/runc: resource temporarily unavailable",
    ),
    (
        r"pthread_create failed: Resource temporarily unavailable",
        False,
        "runtime/cgo: pthread_create failed: Resource temporarily unavailable",
    ),
    (
        r"fatal error: (?:runtime: out of memory|concurrent map (?:writes|read and map write)|stack overflow)",
        False,
        "fatal error: concurrent map writes",
    ),
    (
        r"panic: (?P<panic>.+)",
        False,
        "panic: runtime error: invalid memory address or nil pointer dereference",
    ),
    (r"goroutine \d+ \[running\]:", False, "goroutine 2157 [running]:"),
    (
        r"SIGSEGV: segmentation violation",
        False,
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1d4a3c2]",
    ),
    (
        r"Observed a panic: (?P<panic>.+)",
        False,
        'runtime.go:79] Observed a panic: "invalid memory address or nil pointer dereference"',
    ),
    (r"unexpected fault address 0x[0-9a-f]+", False, "unexpected fault address 0x7f3a1c000000"),
    (
        r"Failed to contact API server when waiting for CSINode publishing",
        False,
        'csi_plugin.go:1014] Failed to contact API server when waiting for CSINode publishing: Get "https://10.0.0.1:6443": net/http: TLS handshake timeout',
    ),
    (
        r"net/http: TLS handshake timeout",
        False,
        'Get "https://10.0.0.1:6443/healthz": net/http: TLS handshake timeout',
    ),
    (
        r"use of closed network connection",
        False,
        "write tcp 10.0.1.12:43212->10.0.0.1:6443: use of closed network connection",
    ),
    (r"http2: client connection lost", False, "http2: client connection lost"),
    (
        r"connection reset by peer",
        True,
        "read tcp 10.0.1.12:43212->10.0.0.1:6443: read: connection reset by peer",
    ),
    (r"broken pipe", True, "write unix /run/containerd/s/4f1c->@: write: broken pipe"),
    (
        r"certificate signed by unknown authority",
        False,
        "x509: certificate signed by unknown authority",
    ),
    (
        r"Unauthorized|401 Unauthorized",
        False,
        "reflector.go:138] Failed to watch *v1.Pod: Unauthorized",
    ),
    (
        r"forbidden: User \"(?P<user>[^\"]+)\" cannot (?P<verb>\w+) resource \"(?P<resource>[^\"]+)\"",
        False,
        'pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" at the cluster scope',
    ),
    (
        r"exceeded quota: (?P<quota>\S+),",
        False,
        'pods "web-0" is forbidden: exceeded quota: compute-quota, requested: limits.memory=2Gi, used: limits.memory=10Gi, limited: limits.memory=10Gi',
    ),
    (
        r"Readiness probe errored:|Liveness probe errored:",
        False,
        'prober.go:104] "Probe errored" err="rpc error: code = NotFound" probeType="Readiness" Readiness probe errored: rpc error',
    ),
    (
        r"failed to sync secret cache: timed out waiting for the condition",
        False,
        "secret.go:194] Couldn't get secret default/tls: failed to sync secret cache: timed out waiting for the condition",
    ),
    (
        r"failed to sync configmap cache: timed out waiting for the condition",
        False,
        "configmap.go:199] Couldn't get configMap default/app: failed to sync configmap cache: timed out waiting for the condition",
    ),
    (
        r"Couldn't get (?:secret|configMap) (?P<obj>\S+):",
        False,
        'configmap.go:199] Couldn\'t get configMap default/app: configmap "app" not found',
    ),
    (
        r"Error: (?:secret|configmap) \"(?P<name>[^\"]+)\" not found",
        True,
        'Error: configmap "app-config" not found',
    ),
    (r"exec format error", False, "exec /app: exec format error"),
    (
        r"executable file not found in \$PATH",
        False,
        'exec: "/docker-entrypoint.sh": executable file not found in $PATH',
    ),
    (
        r"standard_init_linux\.go:\d+: exec user process caused",
        False,
        "standard_init_linux.go:228: exec user process caused: no such file or directory",
    ),
    (
        r"back-off pulling image \"(?P<image>[^\"]+)\"",
        True,
        'Back-off pulling image "registry.internal/app:v2"',
    ),
    (
        r"manifest unknown|manifest for (?P<image>\S+) not found",
        False,
        "manifest for app:v3 not found: manifest unknown: manifest unknown",
    ),
    (
        r"pull access denied for (?P<image>\S+)",
        False,
        "pull access denied for app, repository does not exist or may require 'docker login'",
    ),
    (
        r"The node was low on resource: (?P<resource>[\w-]+)",
        False,
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 48212Ki.",
    ),
    (
        r"Pod ephemeral local storage usage exceeds the total limit of containers",
        False,
        "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.",
    ),
    (
        r"Container (?P<container>\S+) exceeded its local ephemeral storage limit",
        False,
        'Container app exceeded its local ephemeral storage limit "1Gi".',
    ),
    (r"OOMKilled", False, 'kubelet.go:2200] "Container exited" reason="OOMKilled" exitCode=137'),
    (
        r"exitCode=137|exit code 137",
        False,
        'kuberuntime_container.go:710] "Container terminated" exitCode=137',
    ),
    (
        r"Preempted in order to admit critical pod",
        False,
        "Preempted in order to admit critical pod",
    ),
    (
        r"Node is shutting down|Shutdown manager detected new shutdown event",
        False,
        'nodeshutdown_manager_linux.go:265] "Shutdown manager detected new shutdown event, isNodeShuttingDownNow" event=true',
    ),
    (
        r"GracefulNodeShutdown|Terminated due to node shutdown",
        False,
        "Pod was terminated in response to imminent node shutdown. Terminated due to node shutdown",
    ),
]
