"""Integration test cases. Each Test boots one QEMU machine.

steps: ("expect", regex) waits for output (in order), ("send", text) types
into the console, ("sleep", seconds). forbid: regexes that must not appear
anywhere. expect_exit: QEMU's exit status when the machine powers itself off
(None: the test kills QEMU when its steps are done)."""


import re


class Test:
    def __init__(self, name, arch, steps, smp=1, mem="2G", gic=3, cmdline="",
                 qemu_args=(), forbid=None, expect_exit=0, timeout=60, checks=(),
                 vm_configs=(), image_name=None, build_fails=False, disk=None, disk_corrupt=None):
        self.name = name
        # the machine's disk (run.py build_disk): None, a prepared image's
        # path, or [(config, [images])] put on a fresh FAT32 image;
        # disk_corrupt "zero-boot-sector" / "random" then damages it
        self.disk = disk
        self.disk_corrupt = disk_corrupt
        self.vm_configs = list(vm_configs)
        # tests with the same VM set share one image
        self.image_name = image_name or (name if vm_configs or build_fails else "novm")
        self.build_fails = build_fails
        self.arch = arch
        self.steps = steps
        self.smp = smp
        self.mem = mem
        self.gic = gic
        self.cmdline = cmdline
        self.qemu_args = qemu_args
        self.forbid = FORBID_DEFAULT if forbid is None else forbid
        self.expect_exit = expect_exit
        self.timeout = timeout
        self.checks = checks


# Anything that means the hypervisor itself went wrong.
FORBID_DEFAULT = [r"FAIL", r"PANIC", r"=== CPU \d+", r"\] E\]|c\d+ E\]"]


def expect(*patterns):
    return [("expect", p) for p in patterns]


def boot_steps(ncpu, gic):
    return expect(
        r"AxVisor-C .* for aarch64",
        r"memory: \d+ MiB in \d+ bank",
        r"cpus: %d " % ncpu,
        r"irq: GICv%d" % gic,
        r"smp: %d of %d CPUs online" % (ncpu, ncpu),
        r"selftest alloc: PASS",
        r"selftest sched: PASS \(%d CPUs" % ncpu,
        r"boot self-checks: all passed",
        r"powering off",
    )


def aarch64_tests():
    tests = []
    for gic in (2, 3):
        for smp in (1, 4):
            tests.append(Test("aarch64-boot-gicv%d-smp%d" % (gic, smp), "aarch64",
                              boot_steps(smp, gic), smp=smp, gic=gic))
    tests.append(Test("aarch64-boot-512M-smp2", "aarch64",
                      expect(r"memory: 512 MiB in 1 bank", r"smp: 2 of 2 CPUs online",
                             r"boot self-checks: all passed", r"powering off"),
                      smp=2, mem="512M"))
    # A CPU that takes an unexpected exception dumps its registers and stops;
    # the others keep running and power the machine off.
    tests.append(Test("aarch64-fault-dump", "aarch64",
                      expect(r"boot self-checks: all passed",
                             r"=== CPU 3: unexpected synchronous exception from EL2 ===",
                             r"ESR_EL2  [0-9a-f]{16} \(EC 0x25: data abort",
                             r"FAR_EL2  00000000dead0000",
                             r"x30 [0-9a-f]{16}",
                             r"=== CPU 3 stopped ===",
                             r"CPU 0 still running after CPU 3 faulted",
                             r"powering off"),
                      smp=4, cmdline="hv.test=fault",
                      forbid=[r"FAIL", r"PANIC", r"=== CPU [012]"]))
    return tests


def riscv64_boot_steps(ncpu):
    return expect(
        r"AxVisor-C .* for riscv64",
        r"memory: \d+ MiB in \d+ bank",
        r"cpus: %d \(boot hart \d+\)" % ncpu,
        r"irq: PLIC at 0x[0-9a-f]+",
        r"timer: 10000000 Hz",
        r"smp: %d of %d CPUs online" % (ncpu, ncpu),
        r"selftest alloc: PASS",
        r"selftest sched: PASS \(%d CPUs" % ncpu,
        r"boot self-checks: all passed",
        r"powering off",
    )


def riscv64_tests():
    tests = [Test("riscv64-boot-smp%d" % smp, "riscv64", riscv64_boot_steps(smp), smp=smp)
             for smp in (1, 4)]
    # an unexpected exception in HS-mode: full dump, only that hart stops
    # (1 GiB of RAM: the test's address 0xdead0000 must be outside it)
    tests.append(Test("riscv64-fault-dump", "riscv64",
                      expect(r"boot self-checks: all passed",
                             r"=== CPU 3: unexpected exception in HS-mode ===",
                             r"scause   000000000000000d \(load page fault\)",
                             r"stval    00000000dead0000",
                             r"htval    [0-9a-f]{16}",
                             r"x31/t6   [0-9a-f]{16}",
                             r"=== CPU 3 stopped ===",
                             r"CPU 0 still running after CPU 3 faulted",
                             r"powering off"),
                      smp=4, mem="1G", cmdline="hv.test=fault",
                      forbid=[r"FAIL", r"PANIC", r"=== CPU [012]"]))
    return tests


def x86_64_boot_steps(ncpu):
    return expect(
        r"AxVisor-C .* for x86_64",
        r"memory: \d+ MiB in \d+ bank",
        r"cpus: %d \(APIC id of cpu0 \d+\), from the ACPI MADT" % ncpu,
        r"irq: local APIC \(xAPIC\) at 0xfee00000",
        r"timer: TSC \d+ kHz, LAPIC timer \d+ kHz",
        r"power: ACPI S5 through PM1a_CNT 0x604",
        r"smp: %d of %d CPUs online" % (ncpu, ncpu),
        r"selftest alloc: PASS",
        r"selftest sched: PASS \(%d CPUs" % ncpu,
        r"boot self-checks: all passed",
        r"powering off",
    )


def x86_64_tests():
    # QEMU exits with status 0 on the ACPI S5 power-off the hypervisor uses;
    # the isa-debug-exit fallback would give (0 << 1) | 1 = 1 and fail them.
    tests = [Test("x86_64-boot-smp%d" % smp, "x86_64", x86_64_boot_steps(smp), smp=smp)
             for smp in (1, 4)]
    tests.append(Test("x86_64-fault-dump", "x86_64",
                      expect(r"boot self-checks: all passed",
                             r"=== CPU 3: unexpected exception #PF page fault \(vector 14\) ===",
                             r"RIP    [0-9a-f]{16}",
                             r"CR2    00000000dead0000",
                             r"R13 [0-9a-f]{16}  R14 [0-9a-f]{16}  R15 [0-9a-f]{16}",
                             r"=== CPU 3 stopped ===",
                             r"CPU 0 still running after CPU 3 faulted",
                             r"powering off"),
                      smp=4, cmdline="hv.test=fault",
                      forbid=[r"FAIL", r"PANIC", r"=== CPU [012]"]))
    return tests


KIT = "configs/vms/kit/%s/%s.toml"


def kit(arch, *names):
    return [KIT % (arch, n) for n in names]


def vm_stats(out, vm_name):
    """(halts, run_us, wall_us) from the hypervisor's per-vCPU stats line of
    the VM named vm_name (its vCPU 0)."""
    import re
    m = re.search(r"vm(\d+) \(%s\): starting" % re.escape(vm_name), out)
    if not m:
        return None
    vid = m.group(1)
    m = re.search(r"vm%s vcpu0: \d+ exits \(.*halt (\d+).*\), run (\d+) us of (\d+) us" % vid, out)
    return tuple(int(x) for x in m.groups()) if m else None


def check_halt_idles(out):
    st = vm_stats(out, "halt")
    if not st:
        return "no stats line for the halt VM"
    halts, run, wall = st
    if halts < 20:
        return "halt VM exited for WFI only %d times" % halts
    # WFI must block the vCPU task, not spin: the idler uses a small part of
    # the pCPU it shares with the compute VM.
    if run * 2 > wall:
        return "halt VM was on the CPU %d us of %d us: WFI does not block" % (run, wall)
    return None


def kit_tests(arch):
    t = []
    stopped = r"vm\d+ \(%s\): stopped \(guest powered off\)"
    end = r"all VMs have stopped; powering off"
    for name, smp in (("hello", 1), ("hypercall", 1), ("mmio", 1), ("memory", 2)):
        t.append(Test("%s-kit-%s" % (arch, name), arch,
                      expect(r"KIT %s: PASS" % name, stopped % name, end),
                      smp=smp, vm_configs=kit(arch, name)))
    for n in (2, 4):
        t.append(Test("%s-kit-smp%d" % (arch, n), arch,
                      expect(r"KIT smp: PASS", end), smp=4, vm_configs=kit(arch, "smp%d" % n)))
    # one VM idles in WFI on the pCPU where another computes
    t.append(Test("%s-kit-halt-beside-compute" % arch, arch,
                  expect(r"KIT compute: PASS", r"KIT halt: PASS", end),
                  smp=2, vm_configs=kit(arch, "halt", "compute"), checks=(check_halt_idles,)))
    # 4 vCPUs time-share one pCPU
    t.append(Test("%s-kit-oversub" % arch, arch, expect(r"KIT oversub: PASS", end),
                  smp=2, vm_configs=kit(arch, "oversub")))
    # three VMs at once, each with its own output
    t.append(Test("%s-kit-three-vms" % arch, arch,
                  expect(end),
                  smp=4, vm_configs=kit(arch, "multi1", "multi2", "multi3"),
                  checks=(lambda out: None if all(("[vm%d multi%d] KIT multi: PASS" % (10 + i, i)) in out
                                                  for i in (1, 2, 3)) else "not every VM passed",)))
    # a guest stuck faulting is stopped; the VM beside it finishes
    t.append(Test("%s-kit-wild-guest-stopped" % arch, arch,
                  expect(r"vm\d+ \(wild\) vcpu0: the guest keeps faulting at the same instruction",
                         r"vm\d+ \(wild\): stopped \(the guest keeps faulting", end),
                  smp=1, vm_configs=kit(arch, "wild", "compute"),
                  forbid=[r"PANIC", r"=== CPU \d+", r"KIT wild: (PASS|FAIL)", r"KIT compute: FAIL"],
                  checks=(lambda out: None if "KIT compute: PASS" in out else "compute VM did not pass",)))
    t.append(Test("%s-kit-reset" % arch, arch,
                  expect(r"boot 0", r"vm\d+ \(reset\): reset \(1\)", r"boot 1", r"KIT reset: PASS", end),
                  smp=1, vm_configs=kit(arch, "reset")))
    t.append(console_focus_test(arch, end))
    if arch == "aarch64":
        t += kit_irq_tests(arch, stopped, end)
    return t


def kit_irq_tests(arch, stopped, end):
    """Guest interrupts through the vGIC, on a GICv2 and a GICv3 host: the
    guest finds the version itself, so both run the same image. Only where
    the arch's kit runtime drives an interrupt controller (elsewhere the
    test would print SKIP)."""
    return [Test("%s-kit-irq-gicv%d" % (arch, gic), arch,
                 expect(r"irq: GICv%d, 2 vCPUs" % gic,
                        r"irq: 8 IPIs pending on cpu 0 \(masked\): all 8 handled once",
                        r"irq: 8 IPIs pending on cpu 1 \(masked\): all 8 handled once",
                        r"KIT irq: PASS", stopped % "irq", end),
                 smp=2, gic=gic, vm_configs=kit(arch, "irq"), image_name="%s-kit-irq" % arch,
                 forbid=FORBID_DEFAULT + [r"KIT irq: SKIP"])
            for gic in (2, 3)]


def check_console_output(out):
    # hello owns the focus (the first VM with a console UART): its UART
    # bytes come out unprefixed, its hypercall lines keep the prefix
    import re
    # a hypervisor log line may break into the raw line (the mux starts a new
    # line for it): with log lines and their line ends taken out, the UART
    # text must be there, and never with the VM prefix
    if "[vm1 hello] hello from kit guest via the UART" in out:
        return "the focused VM's UART output is prefixed"
    joined = re.sub(r"\r?\n\[\s*\d+\.\d+ c\d+ [EWIDT]\][^\n]*\r?\n", "", out)
    if "hello from kit guest via the UART" not in joined:
        return "the focused VM's UART output is not raw"
    for line in ("[vm1 hello] KIT hello: PASS", "[vm7 halt] KIT halt: PASS"):
        if line not in out:
            return "missing %r" % line
    return None


def console_focus_test(arch, end):
    """The console multiplexer's keys, typed while the halt VM (no UART,
    about 0.7 s of life) still runs."""
    keys = "\x01?" "\x012" "\x01n" "\x01h" "\x01x" "\x019"
    # keys only after hello has finished, so the mux's own messages cannot
    # land in the middle of hello's raw UART line that the check looks for
    steps = (expect(r"console: input goes to vm1 \(hello\); Ctrl-A \? for help",
                    # both, in either order
                    r"(?s)(?=.*KIT hello: PASS)(?=.*vm7 \(halt\): starting)") +
             [("send", keys)] +
             expect(r"\[console: keys\]",
                    r"Ctrl-A n +next VM",
                    r" \* 1: vm1 hello, ",
                    r"   2: vm7 halt, \w+, no console UART",
                    r"   0: hypervisor",
                    r"\[console: vm7 halt\]",
                    r"\[console: vm7 has no console UART",
                    r"\[console: vm1 hello( \(\w+\))?\]",
                    r"\[console: hypervisor\]",
                    r"\[console: Ctrl-A x is no command",
                    r"\[console: no VM #9",
                    end))
    return Test("%s-console-focus" % arch, arch, steps, smp=2, vm_configs=kit(arch, "hello", "halt"),
                checks=(check_console_output,))


def build_check_tests(arch):
    """A bad config never reaches the hypervisor: the build fails naming it."""
    return [
        Test("%s-build-rejects-overlap" % arch, arch,
             expect(r"bad-overlap\.toml:15: kernel\.memory_regions\[1\]: .* overlaps memory_regions\[0\]"),
             vm_configs=["tests/integration/configs/bad-overlap.toml"], build_fails=True),
        Test("%s-build-rejects-missing-image" % arch, arch,
             expect(r"bad-missing-image\.toml: kernel image \"no-such-kernel\.bin\" not found"),
             vm_configs=["tests/integration/configs/bad-missing-image.toml"], build_fails=True),
    ]


LINUX_CFG = "configs/vms/linux-aarch64-qemu-smp2.toml"


def check_timer_irqs_advance(out):
    """Two samples of the arch_timer line of /proc/interrupts, a second apart:
    the guest's timer interrupts must be arriving."""
    import re
    seg = out[out.find("TIMER-SAMPLE-1"):]
    samples = []
    for m in re.finditer(r"^\s*\d+:((?:\s+\d+)+)\s+GIC\S*\s+27 .*arch_timer", seg, re.M):
        samples.append(sum(int(x) for x in m.group(1).split()))
    if len(samples) < 2:
        return "could not read two arch_timer samples from /proc/interrupts"
    if samples[1] <= samples[0]:
        return "timer interrupts did not advance (%d -> %d)" % (samples[0], samples[1])
    return None


def check_neighbour_passed(out):
    return None if "[vm11 multi1] KIT multi: PASS" in out else "the bare-metal VM beside Linux did not pass"


def ptirq_tests(arch):
    """A host device's interrupt delivered to a VM (interrupt_mode passthrough)."""
    return [Test("%s-kit-ptirq-gicv%d" % (arch, gic), arch,
                 expect(r"ptirq: RTC interrupt 3", r"KIT ptirq: PASS", r"all VMs have stopped"),
                 smp=2, gic=gic, vm_configs=kit(arch, "ptirq"), image_name="ptirq", timeout=90)
            for gic in (2, 3)]


def linux_tests(arch):
    t = []
    for gic in (2, 3):
        steps = expect(r"AXVISOR-LINUX-READY cpus=2", r"/ # ") + [
            ("send", "grep -c ^processor /proc/cpuinfo\n"), ("expect", r"\n2\r*\n"), ("expect", r"/ # "),
            ("send", "echo answer-$((6*7))\n"), ("expect", r"answer-42"), ("expect", r"/ # "),
            ("send", "echo TIMER-SAMPLE-1; grep arch_timer /proc/interrupts; sleep 1; "
                     "grep arch_timer /proc/interrupts; echo TIMER-DONE\n"),
            ("expect", r"TIMER-DONE\r*\n"), ("expect", r"/ # "),
            ("send", "reboot\n"),
            ("expect", r"vm2 \(linux\): reset \(1\)"),
            ("expect", r"AXVISOR-LINUX-READY cpus=2"), ("expect", r"/ # "),
            ("send", "poweroff -f\n"),
            ("expect", r"vm2 \(linux\): stopped \(guest powered off\)"),
            ("expect", r"all VMs have stopped; powering off"),
        ]
        t.append(Test("%s-linux-gicv%d" % (arch, gic), arch, steps, smp=2, gic=gic,
                      vm_configs=[LINUX_CFG, KIT % (arch, "multi1")], image_name="linux-multi1",
                      timeout=300, checks=(check_timer_irqs_advance, check_neighbour_passed)))
    return t


def shell_cmd(line, *patterns):
    """Type a shell command (Enter is CR, as a terminal sends it) and
    expect its output."""
    return [("send", line + "\r")] + expect(*patterns)


def check_shell_effects(out):
    """What the guests printed while the shell drove them (their lines may
    come before or after the shell's own, so they are checked here)."""
    if out.count("[vm1 hello] KIT hello: PASS") != 2:
        return "hello did not pass twice (at boot and after 'vm start 1')"
    for line in ("idle: up (boot 0)", "idle: up (boot 1)"):
        if line not in out:
            return "missing %r" % line
    tail = out[out.find("vm delete: vm 15 (idle) deleted"):]
    if re.search(r"^ +15 +idle ", tail, re.M):
        return "'vm list' still shows the deleted VM"
    return None


def shell_tests(arch):
    """The hypervisor shell through the serial console: hello runs and
    stops at boot, idle stays up; Ctrl-A h gives the hypervisor the focus."""
    end = r"all VMs have stopped; powering off"
    prompt = r"axvisor> "
    addr = r"0x[48]0000000"  # the kit's RAM base (0x8000_0000 on riscv64)
    # idle starts before the manager sees hello stop (hello's lines and
    # idle's may come in any order)
    steps = (expect(r"vm15 \(idle\): starting", r"vm1 \(hello\): stopped") +
             [("send", "\x01h")] + expect(r"\[console: hypervisor\]", prompt) +
             shell_cmd("vm list", r"ID +NAME +STATE +VCPUS +MEMORY",
                       r"^ +1 +hello +stopped +1 +16 MiB", r"^ +15 +idle +running +1 +16 MiB") +
             # stopping the last running VM from the shell leaves the machine up
             shell_cmd("vm stop 15", r"vm stop: vm 15 \(idle\) stopped") +
             shell_cmd("vm list", r"^ +15 +idle +stopped ") +
             shell_cmd("vm start 15", r"vm start: vm 15 \(idle\) started") +
             shell_cmd("vm restart 15", r"vm restart: vm 15 \(idle\) restarted") +
             shell_cmd("vm suspend 15", r"vm suspend: vm 15 \(idle\) suspended") +
             shell_cmd("vm list", r"^ +15 +idle +suspended ") +
             shell_cmd("vm suspend 15", r"^vm suspend: vm 15 is suspended\r?$") +
             shell_cmd("vm resume 15", r"vm resume: vm 15 \(idle\) resumed") +
             shell_cmd("vm show 15", r"vm 15 \(idle\): running for [\d.]+ m?s, 1 reset",
                       r"type +RTOS, 1 vCPU, config ", r"entry +" + addr,
                       r"kernel +\S*idle\.bin at " + addr + r", \d+ (KiB|bytes)",
                       r"memory +" + addr + r" \+16 MiB RWX- alloc", r"irq mode +no_irq",
                       r"vcpu 0 +on, pCPUs 0x[0-9a-f]+, task \w+ on cpu \d+, \d+ exits") +
             shell_cmd("stats", r"vm 1 \(hello\): stopped", r"vm 15 \(idle\): running, up [\d.]+ m?s, 1 reset",
                       r"vcpu 0: \d+ exits \(.*halt \d+.*\), \d+ halts, ran [\d.]+ m?s",
                       r"memory: \d+ of \d+ pages free \(\d+ used\), \d+ KiB free; heap \d+ bytes in \d+ allocations",
                       r"tasks: \d+") +
             shell_cmd("vm delete 15", r"^vm delete: vm 15 is running \(stop it first\)\r?$") +
             shell_cmd("vm stop 15", r"vm stop: vm 15 \(idle\) stopped") +
             shell_cmd("vm delete 15", r"vm delete: vm 15 \(idle\) deleted") +
             shell_cmd("vm list", r"^ +1 +hello +stopped ", prompt) +
             shell_cmd("vm show 15", r"^vm: no VM with id 15\r?$") +
             shell_cmd("vm start 1", r"vm start: vm 1 \(hello\) started") +
             shell_cmd("log level", r"^log level: info\r?$") +
             shell_cmd("log level debug", r"^log level: debug\r?$") +
             shell_cmd("log level loud", r"^log level: unknown level 'loud' \(error, warn, info, debug, trace\)\r?$") +
             shell_cmd("log level info", r"^log level: info\r?$") +
             # bad commands and ids: one line each
             shell_cmd("frob", r"^frob: unknown command \(help lists them\)\r?$") +
             shell_cmd("vm start 7", r"^vm: no VM with id 7\r?$") +
             shell_cmd("vm start abc", r"^vm start: 'abc' is not a VM id\r?$") +
             shell_cmd("vm stop 1", r"^vm stop: vm 1 is stopped\r?$") +
             shell_cmd("vm resume 1", r"^vm resume: vm 1 is stopped\r?$") +
             shell_cmd("vm stop", r"^vm stop: which VM\? \(vm stop ID\)\r?$") +
             shell_cmd("vm frob 1", r"^vm: unknown subcommand 'frob' \(help lists them\)\r?$") +
             shell_cmd("vm create", r"^vm create: which file\? \(vm create PATH\.toml\)\r?$") +
             shell_cmd("cat", r"^cat: which file\? \(cat PATH\)\r?$") +
             shell_cmd("cat /x", r"^cat: (no filesystem mounted|/x: no such file)\r?$") +
             shell_cmd("echo 'unterminated", r"^shell: unterminated quote or trailing backslash\r?$") +
             shell_cmd("help", r"vm restart ID", r"poweroff ") +
             # line editing: a typo fixed with Backspace and the arrows, then history
             [("send", "vm lx\x7fst\x1b[D\x1b[Di\r")] + expect(r"^ +1 +hello +stopped ") +
             [("send", "\x1b[A\x1b[A\r")] + expect(r"vm restart ID") +
             [("send", "garbage\x03")] + expect(r"\^C") +
             shell_cmd("poweroff", r"poweroff: stopping 0 VMs", end))
    tests = [Test("%s-shell" % arch, arch, steps, smp=2, vm_configs=kit(arch, "hello", "idle"),
                  timeout=120, checks=(check_shell_effects,))]
    # the disk from the shell: ls, cat, and vm create of a config on it (the
    # disk's hello is started at boot; the built-in idle keeps the machine up)
    disk_hello = ("configs/vms/disk/%s/hello.toml" % arch, ["build/guest/%s/hello.bin" % arch])
    cfg = "/guest/vm_default/hello.toml"
    disk_steps = (expect(r"vm21 \(disk-hello\): loaded from disk", r"vm21 \(disk-hello\): stopped") +
                  [("send", "\x01h")] + expect(r"\[console: hypervisor\]") +
                  shell_cmd("ls", r"^ +<dir>  guest/\r?$") +
                  shell_cmd("ls /guest/vm_default", r"^ +\d+  hello\.toml\r?$") +
                  shell_cmd("cat " + cfg, r"^\[base\]\r?$", r"^name = \"disk-hello\"\r?$") +
                  shell_cmd("cat guest/images/hello.bin",
                            r"^cat: /guest/images/hello\.bin: binary file \(\d+ bytes\), not shown\r?$") +
                  shell_cmd("cat /nope", r"^cat: /nope: no such file\r?$") +
                  shell_cmd("cat /guest", r"^cat: /guest: is a directory\r?$") +
                  shell_cmd("ls /nope", r"^ls: /nope: no such file or directory\r?$") +
                  shell_cmd("vm create " + cfg, r"^vm create: .*a VM with id 21 already exists") +
                  shell_cmd("vm create /nope.toml", r"^vm create: /nope\.toml: cannot read the config") +
                  shell_cmd("vm delete 21", r"vm delete: vm 21 \(disk-hello\) deleted") +
                  shell_cmd("vm create " + cfg,
                            r"^vm create: vm 21 \(disk-hello\) created from /guest/vm_default/hello\.toml") +
                  shell_cmd("vm list", r"^ +21 +disk-hello +loaded +1 +16 MiB") +
                  shell_cmd("vm start 21", r"vm start: vm 21 \(disk-hello\) started") +
                  shell_cmd("poweroff", r"poweroff: stopping [12] VMs?\r?$", end))
    tests.append(Test("%s-shell-disk" % arch, arch, disk_steps, smp=2, vm_configs=kit(arch, "idle"),
                      disk=[disk_hello], timeout=120,
                      checks=(lambda out: None if out.count("[vm21 disk-hello] KIT hello: PASS") == 2
                              else "the disk's hello did not pass twice (boot, and after vm create)",)))
    # hv.shell=1 without VMs: the machine stays up with the prompt
    tests.append(Test("%s-shell-novm" % arch, arch,
                      expect(r"hv\.shell=1: the shell has the console", prompt) +
                      shell_cmd("vm list", r"^no VMs\r?$") +
                      shell_cmd("stats", r"memory: \d+ of \d+ pages free") +
                      shell_cmd("poweroff", r"poweroff: stopping 0 VMs", end),
                      smp=1, cmdline="hv.shell=1"))
    # create/start/stop/delete a hundred times: every page comes back
    tests.append(Test("%s-vmcycle" % arch, arch,
                      expect(r"selftest vmcycle: PASS \(100 cycles, \d+ free pages before and after\)",
                             r"powering off"),
                      smp=2, cmdline="hv.test=vmcycle", vm_configs=kit(arch, "idle"), timeout=180))
    return tests


def disk_tests(arch):
    """VMs from the disk: configs in /guest/vm_default/, images by path."""
    end = r"all VMs have stopped; powering off"
    guest = "build/guest/%s/%%s.bin" % arch
    hello_cfg = ("configs/vms/disk/%s/hello.toml" % arch, [guest % "hello"])
    multi_cfg = ("configs/vms/disk/%s/multi2.toml" % arch, [guest % "multi"])
    bad = "tests/integration/configs/disk/%s.toml"
    # the checker's messages and the rejections are error lines by design
    forbid = [r"FAIL", r"PANIC", r"=== CPU \d+"]
    both_passed = lambda out: None if ("[vm21 disk-hello] KIT hello: PASS" in out and
                                       "[vm12 multi2] KIT multi: PASS" in out) else "not both disk VMs passed"
    t = [Test("%s-disk-vms" % arch, arch,
              expect(r"disk: virtio-blk at .+: 40 MiB",
                     r"disk: FAT32 volume mounted at /",
                     r"disk: 2 VM config\(s\) in /guest/vm_default",
                     r"vm21 \(disk-hello\): loaded from disk: /guest/vm_default/hello\.toml "
                     r"\(kernel /guest/images/hello\.bin, \d+ bytes\)",
                     r"vm12 \(multi2\): loaded from disk: /guest/vm_default/multi2\.toml "
                     r"\(kernel /guest/images/multi\.bin, \d+ bytes\)",
                     end),
              smp=2, disk=[hello_cfg, multi_cfg], checks=(both_passed,))]
    # a damaged disk is reported; the built-in VM runs anyway
    for corrupt in ("zero-boot-sector", "random"):
        t.append(Test("%s-disk-corrupt-%s" % (arch, corrupt), arch,
                      expect(r"disk: virtio-blk at ",
                             r"disk: not a FAT32 volume: no FAT32 boot sector", end),
                      smp=1, vm_configs=kit(arch, "hello"), image_name="%s-kit-hello" % arch,
                      disk=[hello_cfg], disk_corrupt=corrupt, forbid=forbid + [r"loaded from disk"],
                      checks=(lambda out: None if "[vm1 hello] KIT hello: PASS" in out
                              else "the built-in VM did not pass",)))
    # bad configs are rejected with the checker's messages, the good one runs
    t.append(Test("%s-disk-bad-configs" % arch, arch,
                  expect(r"disk: 4 VM config\(s\) in /guest/vm_default",
                         r"/guest/vm_default/bad-overlap\.toml:16: kernel\.memory_regions\[1\]: .*"
                         r"overlaps memory_regions\[0\]",
                         r"/guest/vm_default/bad-overlap\.toml: rejected; other VMs continue",
                         r"vm21 \(disk-hello\): loaded from disk",
                         r"/guest/vm_default/memory-image\.toml: kernel\.image_location: \"memory\"",
                         r"/guest/vm_default/memory-image\.toml: rejected",
                         r"/guest/vm_default/missing-image\.toml: kernel image \"\.\./images/no-such-kernel\.bin\" "
                         r"not found on the disk \(looked for /guest/images/no-such-kernel\.bin\)",
                         r"/guest/vm_default/missing-image\.toml: rejected",
                         r"KIT hello: PASS", end),
                  smp=1, disk=[(bad % "bad-overlap", []), hello_cfg, (bad % "memory-image", []),
                               (bad % "missing-image", [])],
                  forbid=forbid + [r"vm3\d \("]))
    return t


def all_tests():
    return aarch64_tests() + riscv64_tests() + kit_tests("riscv64") + kit_tests("aarch64") + build_check_tests("aarch64") + \
        x86_64_tests() + kit_tests("x86_64") + linux_tests("aarch64") + ptirq_tests("aarch64") + \
        shell_tests("aarch64") + shell_tests("riscv64") + shell_tests("x86_64") + \
        disk_tests("aarch64") + disk_tests("riscv64") + disk_tests("x86_64")
