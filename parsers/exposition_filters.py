"""node_exporter's default filters: which mounts, filesystem types, disks and
vmstat/netstat fields it exports (collector/filesystem_linux.go, diskstats_linux.go,
vmstat_linux.go, netstat_linux.go, node_exporter 1.8).

Split from parsers/exposition.py because derivation (poller/derive_fs.py,
poller/derive_rates.py) applies the same filesystem and disk exclusions to what it stores.
"""

from __future__ import annotations

import re
from typing import Final

MOUNTPOINTS_EXCLUDED: Final = re.compile(
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
)
FSTYPES_EXCLUDED: Final = re.compile(
    r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs"
    r"|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs"
    r"|squashfs|erofs|sysfs|tracefs)$"
)
DISK_EXCLUDED: Final = re.compile(r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$")
VMSTAT_FIELDS: Final = re.compile(r"^(oom_kill|pgpg|pswp|pg.*fault).*")
NETSTAT_FIELDS: Final = re.compile(
    r"^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)"
    r"|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)"
    r"|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)"
    r"|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"
)
