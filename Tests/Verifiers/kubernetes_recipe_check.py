#!/usr/bin/env python3
"""Checks the fields the Kubernetes recipe (examples/kubernetes/) depends on, beyond the schema that
kubernetes-validate checks: the DaemonSet's pod can mount FUSE and make the mount visible on the
node, the workload sees it at /sys/kernel/config even when tsmfs starts later, and the host paths of
the two agree.

Usage: kubernetes_recipe_check.py DAEMONSET_YAML WORKLOAD_YAML
Prints one JSON object of named checks; exits 0 only when all hold.
"""
import json
import posixpath
import shlex
import sys

import yaml


def documents(path, kind):
    found = [doc for doc in yaml.safe_load_all(open(path)) if doc and doc.get("kind") == kind]
    if not found:
        raise SystemExit(f"{path}: no {kind}")
    return found[0]


def host_path(volumes, name):
    return next((v["hostPath"] for v in volumes if v["name"] == name and "hostPath" in v), None)


def host_side(pod, container_path):
    """The node path a container path lies at, through the pod's hostPath volume mounts."""
    volumes = pod["volumes"]
    for container in pod["containers"]:
        for mount in sorted(container.get("volumeMounts", []), key=lambda m: -len(m["mountPath"])):
            base = mount["mountPath"].rstrip("/")
            if container_path == base or container_path.startswith(base + "/"):
                source = host_path(volumes, mount["name"])
                if source:
                    return posixpath.join(source["path"], posixpath.relpath(container_path, base)).rstrip("/.") or "/", mount
    return None, None


def main():
    daemonset = documents(sys.argv[1], "DaemonSet")
    workload = documents(sys.argv[2], "Pod")
    pod = daemonset["spec"]["template"]["spec"]
    tsmfs = pod["containers"][0]
    words = shlex.split(" ".join(tsmfs.get("command", []) + tsmfs.get("args", [])))
    mount_at = words.index("mount") if "mount" in words else -1
    mountpoint = words[-1]
    devices = words[words.index("--devices") + 1] if "--devices" in words else None
    config_on_node, config_mount = host_side(pod, mountpoint)
    devices_on_node, devices_mount = host_side(pod, devices) if devices else (None, None)
    fuse = [m for m in tsmfs.get("volumeMounts", []) if m["mountPath"] == "/dev/fuse"]

    checks = {
        "tsmfs mount runs in the foreground": mount_at >= 0 and "--foreground" in words,
        "other users and containers may enter (-o allow_other)": "allow_other" in words,
        "the tsmfs pod is privileged": tsmfs.get("securityContext", {}).get("privileged") is True,
        "/dev/fuse is the node's character device": bool(fuse)
        and host_path(pod["volumes"], fuse[0]["name"]) == {"path": "/dev/fuse", "type": "CharDevice"},
        "the mountpoint is on a hostPath with Bidirectional propagation": config_mount is not None
        and config_mount.get("mountPropagation") == "Bidirectional",
        "the devices are on a hostPath with Bidirectional propagation": devices_mount is not None
        and devices_mount.get("mountPropagation") == "Bidirectional",
    }
    workload_pod = workload["spec"]
    config_source, config_target = host_side(workload_pod, "/sys/kernel/config")
    checks["the workload binds the node's config root at /sys/kernel/config"] = config_source == config_on_node
    checks["with HostToContainer propagation"] = (config_target or {}).get("mountPropagation") == "HostToContainer"
    device_source, _ = host_side(workload_pod, "/dev/tdx_guest")
    checks["the workload's /dev/tdx_guest is the node's served device"] = devices_on_node is not None and device_source == posixpath.join(devices_on_node, "dev/tdx_guest")
    registers, registers_target = host_side(workload_pod, "/sys/devices/virtual/misc/tdx_guest")
    checks["the measurement registers come from the same devices directory"] = devices_on_node is not None and registers == posixpath.join(devices_on_node, "sys/devices/virtual/misc/tdx_guest")
    print(json.dumps({"checks": checks, "config_root_on_node": config_on_node, "devices_on_node": devices_on_node}, indent=1))
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
