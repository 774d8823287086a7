"""Integration test cases. Each Test boots one QEMU machine.

steps: ("expect", regex) waits for output (in order), ("send", text) types
into the console, ("sleep", seconds). forbid: regexes that must not appear
anywhere. expect_exit: QEMU's exit status when the machine powers itself off
(None: the test kills QEMU when its steps are done)."""


class Test:
    def __init__(self, name, arch, steps, smp=1, mem="2G", gic=3, cmdline="",
                 qemu_args=(), forbid=None, expect_exit=0, timeout=60, checks=(),
                 vm_configs=(), image_name=None, build_fails=False):
        self.name = name
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


def all_tests():
    return aarch64_tests()
