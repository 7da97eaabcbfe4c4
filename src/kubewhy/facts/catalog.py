"""The catalogue of fact names: the vocabulary shared by parsers, sources and the knowledge base.

Conditions in failure-mode files may only use names listed here (checked on load), so a typo is
an error instead of a condition that is silently never true. A name ending in ``.*`` admits any
suffix (``sysctl.*`` covers every kernel parameter). Units are in the name where they matter.

>>> is_catalogued("sysctl.kernel.pid_max"), is_catalogued("node.pids.used_ratio")
(True, True)
>>> is_catalogued("node.pid.used_ratio")
False
"""

from __future__ import annotations

from collections.abc import Iterable

FACTS: dict[str, str] = {
    # --- node: kernel limits and usage -------------------------------------------------------
    "sysctl.*": "a kernel parameter, dots kept and dashes as underscores (kernel.threads_max)",
    "node.threads.total": "tasks (processes + threads) on the node",
    "node.processes.total": "processes on the node",
    "node.pids.limit": "the node-wide task limit: min(kernel.pid_max, kernel.threads-max)",
    "node.pids.used_ratio": "node.threads.total / node.pids.limit",
    "node.zombies.total": "processes in state Z on the node",
    "node.zombies.sampled": "zombies of one command in a listing of zombies only (a lower bound)",
    "node.zombies.sampled_command": "the command of the zombies node.zombies.sampled counts",
    "node.dstate.total": "processes in state D (uninterruptible sleep) on the node",
    "node.sockstat.tcp_mem_pages": "/proc/net/sockstat TCP mem: pages the node's TCP sockets hold",
    "node.sockstat.tcp_orphans": "/proc/net/sockstat TCP orphan: sockets no process owns any more",
    "node.tcp_mem.max_pages": "tcp_mem's third value: TCP pages past which allocations fail",
    "node.tcp_mem.used_ratio": "node.sockstat.tcp_mem_pages / node.tcp_mem.max_pages",
    "node.inotify.instances": (
        "inotify instances a listing of holders shows for the user holding most (a lower bound "
        "when the listing was cut or filtered)"
    ),
    "node.inotify.watches": "inotify watches in all (inotify-info's total)",
    "node.inotify.top_holder": "the process or program holding the most inotify instances",
    "node.inotify.top_holder_instances": "the inotify instances that holder has",
    "node.inotify.top_process_instances": "the most inotify instances one process holds",
    "node.inotify.instances_used_ratio": (
        "node.inotify.instances / fs.inotify.max_user_instances (the kernel's default 128 "
        "when it was not read)"
    ),
    "node.inotify.top_process_share": (
        "node.inotify.top_process_instances / fs.inotify.max_user_instances (default 128)"
    ),
    "cluster.claims.pending": "claims kubectl get pvc lists as Pending a minute or more",
    "cluster.claims.pending_without_class": "of those, the claims with no storage class",
    "node.fork_failures": "lines reporting fork/clone/thread creation refused with EAGAIN",
    "node.ulimit.max_user_processes": "ulimit -u of the shell that collected the evidence",
    "node.ulimit.open_files": "ulimit -n (the soft open-files limit) of the collecting shell",
    "node.ulimit.open_files_hard": "ulimit -Hn (the hard open-files limit) of that shell",
    "node.limits.nproc": "effective nproc limit for ordinary users from limits.conf/limits.d",
    # --- node: memory --------------------------------------------------------------------------
    "node.memory.total_bytes": "MemTotal",
    "node.memory.available_bytes": "MemAvailable",
    "node.memory.available_ratio": "MemAvailable / MemTotal",
    "node.memory.cached_ratio": "Cached / MemTotal",
    "node.memory.working_set_percent": (
        "kubectl top node MEMORY%: working set / allocatable (over 100 on healthy nodes)"
    ),
    "node.cpu.used_percent": "kubectl top node CPU%: CPU used / allocatable CPU",
    "node.swap.total_bytes": "SwapTotal (0 = no swap)",
    "node.fs.run_used_percent": "Use% of the /run tmpfs (df)",
    "node.fs.run_inodes_used_percent": "IUse% of the /run tmpfs (df -i)",
    "node.net.neighbors": "entries in the node's neighbour (ARP/NDP) table (ip neigh | wc -l)",
    "node.vmstat.*": "a /proc/vmstat counter (pgscan_kswapd, allocstall_normal, oom_kill, ...)",
    "node.vmstat.allocstall": "sum of allocstall* counters (direct reclaim stalls)",
    "node.psi.*": "pressure stall information (memory.some_avg10, memory.full_avg60 ...)",
    "node.memcg.num_cgroups": "memory cgroups the kernel counts in /proc/cgroups (live + dying)",
    "node.cgroup.disabled_controllers": (
        "controllers the kubelet needs (cpu, cpuacct, cpuset, memory, pids) that /proc/cgroups "
        "lists as disabled or that no cgroup v1 hierarchy of /proc/self/cgroup carries, "
        "comma-joined"
    ),
    "node.memcg.live_cgroups": "memory cgroup directories that exist",
    "node.memcg.dying": "memory cgroups removed but not yet freed (zombie memcgs)",
    "node.cgroups.per_container": (
        "the most cgroups of the cpu, blkio and pids controllers in /proc/cgroups: the count a "
        "runtime that makes every controller's cgroup for each container would give memory too"
    ),
    "node.memcg.excess_ratio": "memory cgroups / node.cgroups.per_container (dying ones add)",
    "node.memcg.root_usage_bytes": "memory.usage_in_bytes of the root memory cgroup (v1)",
    "node.memcg.root_working_set_bytes": "the root memory cgroup's usage less inactive file pages",
    "node.memcg.root_usage_ratio": "node.memcg.root_usage_bytes / node.memory.total_bytes",
    "node.memcg.excess": "memory cgroups beyond node.cgroups.per_container",
    "node.memcg.grew_alone": (
        "growth of the memory cgroup count between two /proc/cgroups readings while the"
        " per-container controllers' counts did not grow"
    ),
    "node.memcg.stat_read_seconds": "seconds to read the root memory.stat",
    "node.oom_kills": "OOM kills in the kernel log",
    "node.oom.global_kills": "node-wide OOM kills in the kernel's OOM reports (no cgroup limit)",
    "node.oom.memcg_kills": "OOM kills in the kernel's reports where a memory cgroup hit its limit",
    "node.memory_report.file_to_anon_ratio": (
        "page cache (active+inactive file pages) over anonymous pages in the kernel's Mem-Info "
        "report (printed at a node-wide OOM or a failed allocation); the lowest seen"
    ),
    "node.memory_report.free_to_min_ratio": (
        "free memory over the zones' min watermark in the kernel's memory report; the lowest seen"
    ),
    "node.stalls.*": (
        "tasks the kernel reported stuck: blocked (hung task, D-state dump), lockups (soft "
        "lockup), and per mechanism their kernel stack waits in (netns, memcg, journal, "
        "writeback, nfs, reclaim, fuse)"
    ),
    "node.cpu.iowait_percent": "CPU time in iowait",
    "node.paging.majflt_per_s": "major page faults per second, the worst interval (sar -B)",
    "node.paging.direct_scan_per_s": "pages direct reclaim scanned per second (sar -B pgscand/s)",
    "node.disk.await_ms_max": "the slowest disk's request wait (ms), worst interval (iostat, sar)",
    "node.disk.util_percent_max": "the busiest disk's %util, worst interval (iostat -x, sar -d)",
    "node.kswapd_cpu_percent": "CPU share of kswapd (the kernel reclaiming memory), as top shows",
    "node.perf.*": "share of perf samples in a kernel mechanism (memcg_iteration_percent ...)",
    "node.perf.*_command": "the command with the most of that mechanism's samples (perf report)",
    "node.fs.max_used_percent": "the fullest disk filesystem by blocks (df)",
    "node.fs.kubelet_used_percent": "the fullest of the root, kubelet, runtime filesystems (df)",
    "node.fs.kubelet_inodes_used_percent": "the same by inodes (df -i)",
    "node.fs.max_inodes_used_percent": "the fullest disk filesystem by inodes (df -i)",
    "node.resolv_conf.nameservers": "name servers in the node's resolv.conf, comma separated",
    "node.resolv_conf.loopback": "a resolv.conf name server is on loopback (127.0.0.53 ...)",
    "node.resolv_conf.nameserver_count": "name servers in a resolv.conf of the node (0: none)",
    "node.resolv_conf.at.*": "name servers of the resolv.conf at a path (at.etc_resolv_conf ...)",
    "node.resolv_conf.cluster_search": "a node resolv.conf searches the cluster's svc domain",
    "node.resolv_conf.search_loopback_domain": "a resolv.conf searches localhost (loopback)",
    "node.dns_stub_listening": "loopback addresses a DNS server listens on (127.0.0.53 ...)",
    "node.listener.*": "the program a listing with owners (netstat -p, ss -p) shows on a port",
    "node.kubelet_resolv_conf.nameserver_count": "name servers in the file the kubelet hands pods",
    "node.kubelet_resolv_conf.loopback": "the file the kubelet hands pods lists a loopback server",
    # --- node: network ---------------------------------------------------------------------------
    "node.net.mtu.*": "MTU of an interface (ip link), e.g. node.net.mtu.flannel.1",
    "node.net.overlay.device": "the overlay device pods' traffic is tunnelled by (flannel.1 ...)",
    "node.net.overlay.encap": "its encapsulation: vxlan, geneve, ipip or wireguard",
    "node.net.overlay.mtu": "the overlay device's MTU",
    "node.net.overlay.overhead_bytes": "bytes the encapsulation adds (VXLAN 50, IP-in-IP 20 ...)",
    "node.net.uplink.device": "the interface the overlay rides on (VXLAN dev, the one NIC up)",
    "node.net.uplink.mtu": "that interface's MTU",
    "node.net.pod_mtu": "the largest MTU on the pods' side (cni0, cali*, lxc*, pod veths)",
    "node.net.mtu_excess_bytes": "pod or overlay MTU + encapsulation overhead - uplink MTU (> 0: "
    "full-size packets do not fit)",
    "node.net.tx_checksum.*": "transmit checksum offload of an interface is on (ethtool -k)",
    "node.net.vxlan_tx_checksum_offload": "tx checksum offload is on on a VXLAN device",
    "node.net.overlay_first_syn_lost": (
        "a capture on a VXLAN device shows a connection's first SYN lost and its resend 1 s "
        "later answered"
    ),
    "node.netstat.*": "a kernel network counter as node-exporter names it (Udp_InCsumErrors ...)",
    "node.conntrack.stat.*": "a conntrack -S counter summed over CPUs (drop, insert_failed ...)",
    "node.conntrack.kernel_stat.*": (
        "the same counter from the kernel's /proc/net/stat/nf_conntrack (conntrack -S's lines are "
        "read by the patterns written for them)"
    ),
    "node.conntrack.dns_unreplied": "UDP flows to port 53 conntrack lists as UNREPLIED",
    "node.conntrack.dns_service_not_natted": "UNREPLIED DNS flows to the DNS Service IP, no DNAT",
    "node.conntrack.listed": "flow entries conntrack -L showed",
    "node.probe.icmp.*": "a ping from the node to an address: answered or lost",
    "node.probe.tcp.*": "a TCP connect (telnet, nc): connected, refused, unreachable, timeout",
    "node.probe.app.*": "an HTTP probe (curl, wget): answered, refused, unreachable, timeout, hung",
    "node.binary.*": "a program is on the node's PATH (which, command -v): node.binary.conntrack",
    "node.iptables.version": "the iptables binary's version (1.8.2 ...)",
    "node.iptables.legacy.kube_chains": "KUBE-* chains in the legacy backend (iptables-save)",
    "node.iptables.legacy.kube_rules": "rules of or jumping to KUBE-* chains in the legacy backend",
    "node.iptables.nft.kube_chains": "KUBE-* chains in the nf_tables backend",
    "node.iptables.nft.kube_rules": "rules of or jumping to KUBE-* chains in the nf_tables backend",
    "node.iptables.legacy_tables_present": "iptables-nft warns that legacy tables exist too",
    "node.iptables.forward_policy": "the filter FORWARD chain's policy the host's iptables lists",
    "node.iptables.forward_drops_pod_traffic": (
        "the filter FORWARD chain drops by policy and no listed rule admits pod traffic"
    ),
    "node.iptables.forward_rules_of_docker": (
        "dockerd's own FORWARD rules (DOCKER chains, docker0) are listed beside that DROP policy"
    ),
    "node.iptables.legacy.forward_policy": "the filter FORWARD policy in the legacy backend",
    "node.iptables.nft.forward_policy": "the filter FORWARD policy in the nf_tables backend",
    "cni.mtu": "the MTU the CNI configures for pods (FLANNEL_MTU, Calico veth_mtu/FELIX_*MTU)",
    # --- node: kernel, OS, boot ----------------------------------------------------------------
    "kernel.release": "uname -r (e.g. 4.4.0-104-generic)",
    "kernel.bug_lines": "kernel BUG/oops lines in the kernel log",
    "os.id": "ID from /etc/os-release (ubuntu, debian, centos ...)",
    "os.version_id": "VERSION_ID from /etc/os-release (16.04 ...)",
    "os.pretty_name": "PRETTY_NAME or nodeInfo.osImage",
    "node.kdump.enabled": "a crash kernel is loaded or kdump is configured",
    "node.crash_dumps": "vmcore files under /var/crash",
    "node.reboots": "reboots seen (journal -- Reboot -- markers, Rebooted events)",
    "node.uptime_seconds": "seconds since boot",
    "node.collected_at": "when a live node was read (Unix seconds)",
    "node.boot_time": "when the node booted (Unix seconds); kernel log [seconds] count from it",
    "node.boot_id": "the kernel's boot id (changes at every boot)",
    "node.loadavg.*": "load averages (1m, 5m, 15m)",
    "node.systemd.version": "systemd version number",
    "node.systemd.mount_units": "loaded systemd mount units",
    "node.systemd.kubelet_mount_units": "loaded mount units under /var/lib/kubelet/pods",
    "node.systemd.slice_cgroups": (
        "cgroups under system.slice, summed over the hierarchies counted"
        " (find /sys/fs/cgroup/*/system.slice -name tasks | wc -l)"
    ),
    "node.systemd.units": "units systemd has loaded (systemctl list-units --all | wc -l)",
    "node.mounts.total": "mounts in the node's mount table",
    "node.containers.total": "containers the runtime lists, stopped ones included (ps -a)",
    "node.kmod.*": "a kernel module is loaded (lsmod), e.g. node.kmod.br_netfilter",
    "node.kernel_cmdline": "the kernel's command line (/proc/cmdline)",
    "node.cmdline.*": "a boot parameter, dots and dashes as underscores (cmdline.cgroup_memory)",
    "node.iptables.backend": "the iptables binary's backend: nf_tables or legacy",
    "node.iptables.bundled_mode": "the backend k3s's bundled iptables chose (iptables-detect.sh)",
    "node.iptables.catch_all_reject": "INPUT, FORWARD chains ending in a REJECT/DROP of all",
    "node.iptables.rules_after_reject": "rules after that catch-all in its chain (never reached)",
    "node.firewall.active": "the host firewall (firewalld, ufw) runs",
    "node.firewall.tool": "the host firewall: firewalld or ufw",
    "node.firewall.open_ports": "what the host firewall's listing admits, as it spells it",
    "node.firewall.kubelet_port_open": "the host firewall admits the kubelet's 10250/tcp",
    "node.firewall.routed_blocked": "ufw drops forwarded (routed) traffic and no rule admits any",
    "node.rp_filter.strict": "an interface filters reverse paths strictly (max of all, <if>)",
    "node.rp_filter.strict_interfaces": "the interfaces whose effective rp_filter is 1 (strict)",
    "node.clock.year": "the year the node's clock showed (date)",
    "node.clock.synchronized": "the node's clock is synchronized (timedatectl)",
    "node.clock.system_time": "the time the node's clock showed (date, timedatectl), with its zone",
    "node.clock.hardware_time": "the time the node's hardware clock showed (hwclock, timedatectl)",
    "node.clock.remote_time": "the time another machine's clock showed at the node's prompt (ssh)",
    "node.clock.skew_seconds": "the most two clocks read in one session disagree by",
    "node.exporter.processes_metrics": "node-exporter serves node_processes_* metrics",
    # --- node: Kubernetes view -----------------------------------------------------------------
    "node.condition.*": "a node condition (Ready = True|False|Unknown), with .reason and .message",
    "node.ready": "the Ready condition is True",
    "node.address": "an address of the node (InternalIP, `Node: name/IP`, a scrape target)",
    "node.kubelet_version": "nodeInfo.kubeletVersion or kubelet --version",
    "node.container_runtime": "nodeInfo.containerRuntimeVersion (docker://18.6.3 ...)",
    "node.machine_id": "nodeInfo.machineID (/etc/machine-id as the kubelet read it)",
    "cluster.nodes_sharing_machine_id": "the most nodes that report one machine ID (1: all unique)",
    "node.pods.count": "pods bound to the node in the evidence",
    "node.pods.pending": "pods on the node in phase Pending",
    "node.pods.pending_with_running_containers": "Pending pods whose containers already run",
    "node.pods.waiting_container_creating": "pods on the node waiting in ContainerCreating",
    "node.capacity.pods": "status.capacity.pods",
    "node.capacity.pids": "status.capacity / allocatable pids where reported",
    "node.image_pull.blocked_pods": "pods whose Pulling began only after another pod's pull ended",
    "node.cni_plugin_processes": "processes of CNI plugins (exec'd by kubelet) alive on the node",
    "node.coredns_pods": "CoreDNS pods running on the node",
    # --- kubelet configuration (flags, config file, /configz) -----------------------------------
    "kubelet.kube_api_qps": "kubelet kubeAPIQPS / --kube-api-qps (default 5 before 1.27, 50 since)",
    "kubelet.kube_api_burst": "kubelet kubeAPIBurst / --kube-api-burst",
    "kubelet.event_qps": "kubelet eventRecordQPS / --event-qps",
    "kubelet.registry_qps": "kubelet registryPullQPS / --registry-qps",
    "kubelet.serialize_image_pulls": "kubelet serializeImagePulls (default true)",
    "kubelet.max_parallel_image_pulls": "kubelet maxParallelImagePulls",
    "kubelet.pod_pids_limit": "kubelet podPidsLimit / --pod-max-pids (-1 or absent: unlimited)",
    "kubelet.max_pods": "kubelet maxPods",
    "kubelet.eviction_hard": "kubelet evictionHard as text",
    "kubelet.eviction_memory_available_bytes": "the memory.available hard eviction threshold",
    "kubelet.kube_reserved": "kubelet kubeReserved as text",
    "kubelet.system_reserved": "kubelet systemReserved as text",
    "kubelet.fail_swap_on": "kubelet failSwapOn",
    "kubelet.cgroup_driver": "kubelet cgroupDriver (cgroupfs/systemd)",
    "kubelet.config_source": "where the kubelet settings were read (flags, config file, configz)",
    "kubelet.cluster_dns": "kubelet clusterDNS / --cluster-dns: nameservers it gives pods (a,b)",
    "cluster.dns_service_ip": "the ClusterIP of the cluster DNS Service (kube-dns, coredns)",
    "kubelet.resolv_conf": "kubelet resolvConf / --resolv-conf: the file pods' DNS comes from",
    # --- pods and containers -------------------------------------------------------------------
    "pod.phase": "status.phase",
    "pod.node": "spec.nodeName",
    "pod.qos_class": "status.qosClass",
    "pod.ready": "the Ready condition is True",
    "pod.containers_running": "containers of the pod in state running",
    "pod.containers_total": "containers of the pod",
    "pod.has_exec_probe": "a container of the pod has an exec liveness/readiness probe",
    "pod.memory_limit_over_request": "a container's memory limit exceeds its request",
    "pod.memory.working_set_bytes": "kubectl top pod MEMORY(bytes): the pod's working set",
    "pod.cpu.millicores": "kubectl top pod CPU(cores), in millicores",
    "container.state": "running / waiting / terminated",
    "container.waiting_reason": "state.waiting.reason",
    "container.restart_count": "restartCount",
    "container.last_terminated_reason": "lastState.terminated.reason (OOMKilled, Error ...)",
    "container.last_exit_code": "lastState.terminated.exitCode",
    "container.image": "image",
    "container.threads": "container_threads (cAdvisor) or threads counted in its cgroup",
    "container.threads_share": "container.threads / node.pids.limit",
    "jvm.threads": "threads in a Java thread dump",
    "jvm.thread_group": "the name most threads of a Java thread dump share (numbers as N)",
    "jvm.thread_group_count": "threads of that name",
    "jvm.thread_group_share": "their share of the dump's threads",
    "jvm.thread_group_cadence_seconds": "the steady gap between their starts (HotSpot's elapsed=)",
    "container.memory_limit_bytes": "resources.limits.memory",
    "container.memory_request_bytes": "resources.requests.memory",
    "container.cpu_limit_millicores": "resources.limits.cpu in millicores",
    # --- processes -----------------------------------------------------------------------------
    "process.threads": "threads of the process",
    "process.state": "state letter (R, S, D, Z ...)",
    "process.ppid": "parent PID",
    "process.command": "command line",
    "process.zombie_children": "children of this process in state Z",
    "process.zombie_command": "the command most of this process's zombie children ran",
    "process.is_container_init": "the process is PID 1 of a container (its parent is a shim)",
    "process.cpu_percent": "%CPU",
    "process.rss_bytes": "resident memory",
    "process.cgroup": "cgroup path (the pids hierarchy on cgroup v1)",
    "process.memory_cgroup": "memory cgroup path (cgroup v1, where it differs from the pids one)",
    "process.qos_class": "QoS class of the pod the process runs in (from its cgroup path)",
    "process.container_id": "container id from the cgroup path",
    "process.pod_uid": "pod UID from the cgroup path",
    "process.oom_killed": "the kernel's OOM killer killed the process (its report's victim)",
    "process.open_fds": "file descriptors the process holds (ls /proc/PID/fd | wc -l)",
    "process.oom_memcg": "the memory cgroup over its limit in an OOM report listing the process",
    "process.oom_in_container": "that memory cgroup is a container's or a pod's",
    "process.blocked_seconds": "the kernel reported the task blocked (D state) this long",
    "process.lockup_seconds": "the kernel reported the task spinning (soft lockup) this long",
    "process.kernel_stack": "the top frames of the kernel stack a stuck task was reported with",
    "process.waits_in": "the mechanism that kernel stack waits in (netns, memcg, journal, ...)",
    # --- cgroups -------------------------------------------------------------------------------
    "cgroup.pids.current": "pids.current",
    "cgroup.pids.max": "pids.max (absent or 'max' = unlimited)",
    "cgroup.pids.events_max": "fork refusals counted in pids.events",
    "cgroup.pids.used_ratio": "pids.current / pids.max",
    "cgroup.memory.oom_kills": "OOM kills in the cgroup (memory.oom_control / memory.events)",
    "cgroup.memory.failcnt": "memory.failcnt",
    "cgroup.memory.limit_bytes": "memory limit",
    "cgroup.memory.usage_bytes": "memory usage (at its OOM, from the kernel's report)",
    "cgroup.memory.oom_reports": "kernel OOM reports naming the cgroup as the one over its limit",
    "cgroup.oom_scope": (
        "whose memory cgroup a kernel OOM report says was over its limit: system (a slice, a "
        "service, a session: outside containers) or container (a pod's or a container's)"
    ),
    "cgroup.pod_uid": "pod UID from the cgroup path",
    "cgroup.container_id": "container id from the cgroup path (a pod's, Docker's, CRI's)",
    # --- components and cluster ----------------------------------------------------------------
    "component.version": "version of a control-plane or node component",
    "component.goroutines": "goroutines in a dump of the component",
    "component.rss_bytes": "resident memory of the component",
    "component.restarts": "restarts of the component's container",
    "component.oom_killed": "the component's container was OOMKilled",
    "cluster.nodes.count": "nodes in the evidence",
    "dns.lookup_samples": "name-lookup times in a column of them (curl -w %{time_namelookup})",
    "dns.lookups_at_timeout": "of those, lookups that took the resolver's timeout (2.5, 5, 10 s)",
    "dns.lookups_at_timeout_share": "dns.lookups_at_timeout / dns.lookup_samples",
    "cluster.pods.count": "pods in the evidence",
    "cluster.etcd_stacked": "etcd runs on the same nodes as kube-apiserver",
    "cluster.apiserver_version": "kube-apiserver version (gitVersion)",
    "cluster.reboots": "Rebooted events across the cluster",
    "cluster.objects.*": "objects of a resource in the cluster (kubectl get <resource> | wc -l)",
    "coredns.forward": "upstreams of the root zone's forward (or proxy) in the Corefile",
    "coredns.forwards_to_resolv_conf": "CoreDNS forwards to a resolv.conf (the node's, inherited)",
    "coredns.forward_loopback": "CoreDNS forwards to a loopback address (itself, in its pod)",
    "coredns.loop_plugin": "the root zone's server block has the loop plugin",
    "etcd.members": "members etcdctl member list shows",
    "etcd.members_unstarted": "members listed as unstarted (added, never joined)",
    "etcd.endpoints": "endpoints etcdctl endpoint status/health reported on",
    "etcd.endpoints_unhealthy": "endpoints unhealthy, unreachable or without a leader",
    "etcd.cluster_size": "members of the etcd cluster (member list, else endpoints reported)",
    "etcd.quorum_kept": "fewer than half of the members are unhealthy",
    "etcd.leader_seen": "an endpoint reports being the leader (or knowing one)",
    "etcd.raft_term_spread": "highest minus lowest raft term among the endpoints",
    "etcd.raft_index_spread": "highest minus lowest raft index among the endpoints",
    "etcd.db_size_bytes": "the largest database size etcdctl endpoint status shows",
    "etcd.db_quota_ratio": "database size / its quota, where etcdctl prints the quota",
    "apiserver.audit.requests": "requests in the API server's audit log (one per auditID)",
    "apiserver.audit.seconds": "seconds the audit log spans",
    "apiserver.audit.lists": "LIST requests in the audit log",
    "apiserver.audit.whole_lists_per_second": "cluster-wide LISTs without pagination per second",
    "apiserver.audit.etcd_whole_lists_per_second": "those without resourceVersion (read from etcd)",
    "apiserver.audit.top_lister": "the client (user agent product) that sends the most LISTs",
    "apiserver.audit.top_lister_share": "its share of the LISTs",
    "apiserver.audit.top_lister_lists_per_second": "its LISTs per second",
    "apiserver.audit.top_lister_whole_share": "share of its LISTs that are whole, unpaginated ones",
    "apiserver.audit.top_lister_user": "the user it authenticates as most",
    "client.lists_per_second": "LISTs per second of an API client (user agent), from the audit log",
    "client.watches_per_second": "WATCHes per second of an API client",
    "client.list_share": "an API client's share of the LISTs in the audit log",
    "apiserver.requests_by_agent.top": (
        "the client (user-agent product) with the most requests in a count of the API server's "
        "requests by user agent (`... | uniq -c`), the control plane's own clients and kubelets "
        "aside"
    ),
    "apiserver.requests_by_agent.top_count": "that client's requests in the count",
    "apiserver.requests_by_agent.total": "all requests in the count (absent when it was cut)",
    "apiserver.requests_by_agent.top_share": "that client's share of all requests in the count",
    "apiserver.requests_by_agent.top_collection_lists": (
        "that client's requests that listed a whole collection (its requests counted by URI)"
    ),
    "metrics.*": "a Prometheus-derived fact named in a failure mode's metrics section",
}

_PREFIXES = tuple(name[:-1] for name in FACTS if name.endswith(".*"))

# Derived facts and the facts they are computed from: a finding built on a ratio cites the
# lines it comes from (``kernel.pid_max = 49152`` and the thread count), not only the ratio.
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "node.pids.limit": ("sysctl.kernel.pid_max", "sysctl.kernel.threads_max"),
    "node.pids.used_ratio": (
        "node.threads.total",
        "metrics.container_threads_sum",
        "sysctl.kernel.pid_max",
        "sysctl.kernel.threads_max",
    ),
    "container.threads_share": ("container.threads", "sysctl.kernel.pid_max"),
    "node.memory.available_ratio": ("node.memory.available_bytes", "node.memory.total_bytes"),
    "node.memcg.dying": ("node.memcg.num_cgroups", "node.memcg.live_cgroups"),
    "node.memcg.excess_ratio": ("node.memcg.num_cgroups", "node.cgroups.per_container"),
    "node.memcg.excess": ("node.memcg.num_cgroups", "node.cgroups.per_container"),
    "node.memcg.root_usage_ratio": ("node.memcg.root_usage_bytes", "node.memory.total_bytes"),
    "node.net.mtu_excess_bytes": (
        "node.net.pod_mtu",
        "cni.mtu",
        "node.net.overlay.mtu",
        "node.net.uplink.mtu",
    ),
    "node.kubelet_resolv_conf.nameserver_count": ("kubelet.resolv_conf",),
    "node.kubelet_resolv_conf.loopback": ("kubelet.resolv_conf",),
    "etcd.quorum_kept": ("etcd.endpoints_unhealthy", "etcd.members"),
    "node.rp_filter.strict": ("sysctl.net.ipv4.conf.all.rp_filter",),
    "node.clock.skew_seconds": (
        "node.clock.system_time",
        "node.clock.hardware_time",
        "node.clock.remote_time",
    ),
    "node.inotify.instances_used_ratio": (
        "node.inotify.instances",
        "sysctl.fs.inotify.max_user_instances",
    ),
    "node.inotify.top_process_share": (
        "node.inotify.top_process_instances",
        "node.inotify.top_holder",
        "sysctl.fs.inotify.max_user_instances",
    ),
}


# Facts about something that happened at their evidence's time (a report in the kernel log), not
# the state when the evidence was read: a finding on them ages like one on log lines.
EVENTS = (
    "node.oom.",
    "node.memory_report.",
    "node.stalls.",
    "cgroup.memory.oom_reports",
    "cgroup.oom_scope",
    "process.oom_",
    "process.blocked_seconds",
    "process.lockup_seconds",
)


def is_event(name: str) -> bool:
    """Whether the fact tells of something that happened rather than a state.

    >>> is_event("node.oom.global_kills"), is_event("node.memory.available_ratio")
    (True, False)
    """
    return name.startswith(EVENTS)


def with_sources(names: Iterable[str]) -> list[str]:
    """``names`` and, after each derived one, the facts it is computed from.

    >>> with_sources(["node.pids.used_ratio"])[:3]
    ['node.pids.used_ratio', 'node.threads.total', 'metrics.container_threads_sum']
    """
    out: list[str] = []
    for name in names:
        for item in (name, *DERIVED_FROM.get(name, ())):
            if item not in out:
                out.append(item)
    return out


def is_catalogued(name: str) -> bool:
    return name in FACTS or name.startswith(_PREFIXES)
