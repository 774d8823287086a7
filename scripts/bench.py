#!/usr/bin/env python3
"""make bench: guest microbenchmarks under QEMU -icount shift=0,sleep=off.

One guest instruction = 1 ns of virtual time, so the figures are instruction
counts and repeat exactly. Prints a table and writes build/bench/<arch>.json.
Usage: scripts/bench.py ARCH
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# Same method, same QEMU, Linux 6.1 KVM as the host (DESIGN.md).
KVM_REFERENCE = {
    "aarch64": {"hypercall_roundtrip": 1476, "mmio_read_roundtrip": 2272, "mmio_write_roundtrip": 2272},
    "x86_64": {"hypercall_roundtrip": 3380, "mmio_read_roundtrip": 6229, "mmio_write_roundtrip": 6229},
    "riscv64": {"hypercall_roundtrip": 621, "mmio_read_roundtrip": 1957, "mmio_write_roundtrip": 1957},
}
REFERENCE_NOTE = {
    "mmio_read_roundtrip": "KVM: in-kernel vGIC MMIO read (aarch64); MMIO exit to the VMM (x86, riscv)",
    "mmio_write_roundtrip": "same reference as the read",
}


def make(arch, configs, image_dir):
    cmd = ["make", "--no-print-directory", "ARCH=" + arch, "VM_CONFIGS=" + " ".join(configs),
           "IMAGE_DIR=" + image_dir, "all"]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, image_dir, "axvisor.bin")


INIT_RE = re.compile(r"\[\s*(\d+)\.(\d{6})\] Run /sbin/init as init process")
READY = b"AXVISOR-LINUX-READY"


def run_until(cmd, env, marker, timeout, log_path):
    """Runs QEMU until marker appears on its console (then kills it)."""
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    import select
    import time
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([p.stdout], [], [], 1.0)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            if marker in out:
                break
    p.kill()
    p.wait()
    with open(log_path, "wb") as f:
        f.write(out)
    return out.decode("utf-8", "replace")


def linux_boot(arch, extra):
    """Linux boot to its first userspace process, in guest instructions
    (printk time under icount), under the hypervisor and on bare QEMU with
    the same kernel, initramfs, vCPUs and RAM. Returns a dict or None."""
    if arch != "aarch64":
        return None
    # one vCPU on one pCPU: QEMU 7.2's icount runs all CPUs in one thread
    # and becomes impractically slow (or stalls) with -smp 2
    cfg = "configs/vms/linux-aarch64-qemu-smp1.toml"
    image = make(arch, [cfg], "build/%s/bench-linux" % arch)
    env = dict(os.environ, SMP="1", MEM="1G")
    hv = run_until([os.path.join(ROOT, "scripts", "qemu.sh"), arch, image] + extra, env, READY, 900,
                   os.path.join(ROOT, "build", "bench", "linux-hv.log"))
    benv = dict(os.environ, SMP="1", MEM="256M", GIC="3")
    bare = run_until([os.path.join(ROOT, "scripts", "run-linux-bare.sh")] + extra, benv, READY, 900,
                     os.path.join(ROOT, "build", "bench", "linux-bare.log"))
    mh, mb = INIT_RE.search(hv), INIT_RE.search(bare)
    if not mh or not mb:
        print("bench: Linux did not reach init in one of the runs (see build/bench/linux-*.log)")
        return None
    th = int(mh.group(1)) * 10**9 + int(mh.group(2)) * 1000
    tb = int(mb.group(1)) * 10**9 + int(mb.group(2)) * 1000
    return {"linux_boot_to_init_hv": th, "linux_boot_to_init_bare": tb,
            "linux_boot_ratio_x1000": th * 1000 // tb}


def run_kit_bench(arch, name, extra, log_name):
    """Boots the kit guest `name` alone under icount with one pCPU; returns
    its BENCH figures, or None when it did not pass."""
    image = make(arch, ["configs/vms/kit/%s/%s.toml" % (arch, name)], "build/%s/%s" % (arch, name))
    env = dict(os.environ, SMP="1", MEM="1G")
    cmd = [os.path.join(ROOT, "scripts", "qemu.sh"), arch, image] + extra
    log_path = os.path.join(ROOT, "build", "bench", log_name)
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = p.stdout.decode("utf-8", "replace")
    with open(log_path, "w") as f:
        f.write(out)
    results = {}
    for m in re.finditer(r"BENCH (\w+) (\d+)", out):
        results[m.group(1)] = int(m.group(2))
    if ("KIT %s: PASS" % name) not in out or not results:
        print("bench: the %s guest did not finish; log in %s" % (name, os.path.relpath(log_path, ROOT)))
        return None
    return results


def main():
    arch = sys.argv[1] if len(sys.argv) > 1 else "aarch64"
    bare = make(arch, [], "build/%s/bench-novm" % arch)
    extra = ["-icount", "shift=0,sleep=off"]
    if arch == "x86_64":
        extra += ["-rtc", "base=2025-01-01,clock=vm"]
    os.makedirs(os.path.join(ROOT, "build", "bench"), exist_ok=True)
    # the hypercall/MMIO figures come from a VM without an interrupt controller
    results = run_kit_bench(arch, "bench", extra, arch + ".log")
    if results is None:
        return 1
    results.pop("empty_batch", None)
    # interrupt latencies: a second VM (2 vCPUs, a virtual interrupt
    # controller) where the arch's kit runtime has one
    if os.path.exists(os.path.join(ROOT, "configs", "vms", "kit", arch, "benchirq.toml")):
        irq = run_kit_bench(arch, "benchirq", extra, arch + "-irq.log")
        if irq is None:
            return 1
        results.update(irq)
    results["image_size_bytes"] = os.path.getsize(bare)
    if os.environ.get("BENCH_LINUX", "1") != "0":
        lb = linux_boot(arch, extra)
        if lb:
            results.update(lb)
    ref = KVM_REFERENCE.get(arch, {})
    doc = {"arch": arch, "method": "QEMU -icount shift=0,sleep=off, -smp 1; 101 batches of 100 operations (10,100), "
           "median batch (and *_mean: mean over all), empty loop subtracted; values are guest "
           "instructions per operation. vtimer_*/ipi_*: median (and *_mean) of 1,001 interrupts "
           "of the time from the event (timer deadline, the IPI send instruction) to the guest's "
           "interrupt vector, in instructions at the counter's resolution (16 on aarch64); "
           "ipi_cross_vcpu_switch: to the other vCPU of the VM waiting in WFI on the same pCPU. "
           "linux_*: printk time of 'Run /sbin/init' under icount "
           "(instructions), same kernel/initramfs/1 vCPU under the hypervisor and on bare QEMU",
           "results": results, "kvm_reference": ref, "reference_notes": REFERENCE_NOTE}
    out_json = os.path.join(ROOT, "build", "bench", arch + ".json")
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=2)
    print("%-28s %12s %12s %8s" % ("metric (" + arch + ")", "axvisor-c", "KVM ref", "ratio"))
    for k, v in results.items():
        r = ref.get(k)
        ratio = "%.2f" % (v / r) if r else "-"
        print("%-28s %12d %12s %8s" % (k, v, r if r else "-", ratio))
    print("written: %s" % os.path.relpath(out_json, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
