"""The platform components an OpenStack host runs besides the services' own dependencies.

scs-0124's dependency clause covers "a dependency of the IaaS service software". Which
distribution packages count on a host is decided from the gathered installs: the dependency
closure (``Depends``/``Pre-Depends``) of the OpenStack packages found there, and, in a container,
every package of its image (the image exists for its service). What that closure cannot see are
the components the services drive over a socket or a command line rather than import: the
hypervisor, the virtual switch, the message queue, the database, the load balancer. They are
named here, once, by distribution *source* package (shell patterns, the names Debian and Ubuntu
use), each with the reason it counts; every package built from them counts, and so does its own
dependency closure (qemu pulls in its libraries).
"""

from __future__ import annotations

import fnmatch
from functools import lru_cache

#: source package pattern -> why a cloud's security depends on it
PLATFORM_COMPONENTS: dict[str, str] = {
    "qemu": "the hypervisor nova-compute starts guests with (guest escapes are host compromises)",
    "libvirt": "the virtualisation daemon nova's libvirt driver controls",
    "linux": "the kernel: KVM, network namespaces, iptables/nftables, the host's isolation itself",
    "linux-signed-*": "the signed kernel images Debian and Ubuntu boot",
    "edk2": "the UEFI firmware (OVMF) guests boot with",
    "seabios": "the BIOS firmware guests boot with",
    "openvswitch": "the virtual switch neutron's OVS and OVN drivers program",
    "ovn": "OVN, neutron's software-defined network",
    "dnsmasq": "DHCP and DNS for tenant networks (neutron's DHCP agent)",
    "haproxy": "the API load balancer and neutron's metadata proxy",
    "keepalived": "virtual IPs of the API and of neutron's HA routers",
    "rabbitmq-server": "the message queue every service talks through (oslo.messaging)",
    "erlang": "the runtime RabbitMQ runs on",
    "mariadb": "the database of every service",
    "mariadb-*": "the database of every service (versioned source names)",
    "mysql-*": "the database of every service (MySQL)",
    "galera-*": "the database cluster's replication",
    "postgresql-*": "the database of every service (PostgreSQL)",
    "memcached": "the token and cache store (keystonemiddleware, oslo.cache)",
    "apache2": "the web server many services' APIs and Horizon run in (mod_wsgi)",
    "nginx": "the web server and TLS terminator some deployments use",
    "openssl": "TLS of every API, the message queue and the database",
    "openssh": "the operators' and the live migration's remote access",
    "python3.*": "the interpreter every service runs in (also the venvs' interpreter)",
    "ceph": "block and object storage behind cinder, glance and nova (librbd, radosgw)",
    "etcd": "the coordination store some services use (tooz)",
    "redis": "the coordination and cache store some services use (tooz, oslo.cache)",
    "iptables": "security groups and NAT (neutron's iptables firewall)",
    "nftables": "security groups and NAT on hosts using nftables",
    "iproute2": "neutron's agents configure every namespace and device with it",
    "open-iscsi": "the iSCSI initiator os-brick attaches cinder volumes with",
    "nfs-utils": "NFS attachments of cinder and manila",
    "tgt": "the iSCSI target cinder's LVM driver exports volumes with",
    "lvm2": "the volume manager cinder's LVM driver stores volumes in",
    "sudo": "the rootwrap and privsep path of every service",
    "systemd": "the service manager, journal and resolver of the host",
}


@lru_cache(maxsize=65536)
def platform_reason(source: str) -> str | None:
    """Why a source package counts as a platform component, or None when it is not one."""
    for pattern, reason in PLATFORM_COMPONENTS.items():
        if fnmatch.fnmatchcase(source, pattern):
            return reason
    return None
