#!/usr/bin/env python3
"""QEMU integration test runner.

Boots hypervisor images under QEMU with a wall-clock timeout, captures the
serial console, checks expected lines (in order), forbidden lines and how
QEMU ended. Logs are written to build/itest/<test>.log and kept; a failure
prints the log's tail. The last line is "itest: N passed, N failed".

Tests are declared in tests/integration/cases.py.
"""
import argparse
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(__file__))
import cases  # noqa: E402

LOG_DIR = os.path.join(ROOT, "build", "itest")
print_lock = threading.Lock()


def say(msg):
    with print_lock:
        print(msg, flush=True)


class Console:
    """Reads QEMU's serial output in a thread; lets a test wait for text and
    type into the console."""

    def __init__(self, proc, log):
        self.proc = proc
        self.log = log
        self.buf = ""
        self.cond = threading.Condition()
        self.eof = False
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while True:
            chunk = self.proc.stdout.read1(4096) if hasattr(self.proc.stdout, "read1") else self.proc.stdout.read(1)
            if not chunk:
                break
            text = chunk.decode("utf-8", "replace")
            self.log.write(text)
            self.log.flush()
            with self.cond:
                self.buf += text
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, pattern, deadline, start=0):
        """Waits until regex `pattern` matches output at or after `start`.
        Returns the match end offset, or None on timeout / EOF."""
        rx = re.compile(pattern, re.M)
        with self.cond:
            while True:
                m = rx.search(self.buf, start)
                if m:
                    return m.end()
                if self.eof:
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.5))

    def send(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def text(self):
        with self.cond:
            return self.buf


build_lock = threading.Lock()


def image_dir(t):
    return os.path.join("build", t.arch, "itest", t.image_name)


def build_image(t):
    """Builds the hypervisor image the test boots (its VM_CONFIGS built in).
    Builds share object files, so they run one at a time."""
    cmd = ["make", "--no-print-directory", "ARCH=" + t.arch, "VM_CONFIGS=" + " ".join(t.vm_configs),
           "IMAGE_DIR=" + image_dir(t), "all"]
    with build_lock:
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace"), " ".join(cmd)


def build_disk(t):
    """The FAT32 disk image a test boots with (t.disk), or None. A string is
    a prepared image; a list of (config, [images]) is put on a fresh disk as
    /guest/vm_default/<config name> and /guest/images/<image name>, then
    t.disk_corrupt may damage it ("zero-boot-sector": sector 0 zeroed;
    "random": the whole image replaced by 1 MiB of random bytes). Disk
    builds share the build lock: they need the kit guests built."""
    if t.disk is None:
        return None, "", ""
    if isinstance(t.disk, str):
        return os.path.join(ROOT, t.disk), "", ""
    ddir = os.path.join(ROOT, "build", t.arch, "itest", "disks", t.name)
    img = ddir + ".img"
    with build_lock:
        cmd = ["make", "--no-print-directory", "ARCH=" + t.arch, "guests"]
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            return None, out, " ".join(cmd)
        shutil.rmtree(ddir, ignore_errors=True)
        cfgdir = os.path.join(ddir, "guest", "vm_default")
        imgdir = os.path.join(ddir, "guest", "images")
        os.makedirs(cfgdir)
        os.makedirs(imgdir)
        for config, images in t.disk:
            shutil.copy(os.path.join(ROOT, config), cfgdir)
            for i in images:
                shutil.copy(os.path.join(ROOT, i), imgdir)
        cmd = [os.path.join(ROOT, "scripts", "mkdisk.sh"), ddir, img]
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out += p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            return None, out, " ".join(cmd)
    if t.disk_corrupt == "zero-boot-sector":
        with open(img, "r+b") as f:
            f.write(bytes(512))
    elif t.disk_corrupt == "random":
        rnd = random.Random(t.name)
        with open(img, "wb") as f:
            f.write(rnd.randbytes(1 << 20))
    return img, out, ""


def qemu_command(t, disk=None):
    image = os.path.join(ROOT, image_dir(t), "axvisor.bin")
    cmd = [os.path.join(ROOT, "scripts", "qemu.sh"), t.arch, image] + list(t.qemu_args)
    if t.cmdline:
        cmd += ["-append", t.cmdline]
    env = dict(os.environ, SMP=str(t.smp), MEM=t.mem, GIC=str(t.gic), DISK=disk or "")
    return cmd, env


def run_build_test(t, log_path, start):
    """A test whose image must NOT build (a bad config is a build error)."""
    rc, out, cmd = build_image(t)
    problems = []
    with open(log_path, "w") as log:
        log.write("# " + cmd + "\n" + out)
    if rc == 0:
        problems.append("the build succeeded; it should have failed")
    pos = 0
    for kind, arg in t.steps:
        if kind != "expect":
            continue
        m = re.compile(arg, re.M).search(out, pos)
        if not m:
            problems.append("build output lacks /%s/" % arg)
            break
        pos = m.end()
    return t, problems, time.monotonic() - start, log_path


def run_test(t):
    os.makedirs(LOG_DIR, exist_ok=True)
    log_path = os.path.join(LOG_DIR, t.name + ".log")
    start = time.monotonic()
    if t.build_fails:
        return run_build_test(t, log_path, start)
    rc, out, bcmd = build_image(t)
    if rc != 0:
        with open(log_path, "w") as log:
            log.write("# " + bcmd + "\n" + out)
        return t, ["image build failed"], time.monotonic() - start, log_path
    disk, out, dcmd = build_disk(t)
    if t.disk is not None and disk is None:
        with open(log_path, "w") as log:
            log.write("# " + dcmd + "\n" + out)
        return t, ["disk image build failed"], time.monotonic() - start, log_path
    cmd, env = qemu_command(t, disk)
    deadline = start + t.timeout
    problems = []
    with open(log_path, "w") as log:
        log.write("# " + " ".join(cmd) + "\n")
        log.write("# SMP=%s MEM=%s GIC=%s DISK=%s\n" % (t.smp, t.mem, t.gic, disk or ""))
        log.flush()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, cwd=ROOT)
        con = Console(proc, log)
        pos = 0
        for step in t.steps:
            kind, arg = step
            if kind == "expect":
                end = con.wait_for(arg, deadline, pos)
                if end is None:
                    problems.append("did not see /%s/" % arg)
                    break
                pos = end
            elif kind == "send":
                con.send(arg)
            elif kind == "sleep":
                time.sleep(arg)
        # let the machine finish (power off) unless the test expects otherwise
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            if t.expect_exit is not None:
                problems.append("QEMU still running after %ds (machine did not power off)" % t.timeout)
            proc.kill()
            proc.wait()
        con.thread.join(timeout=5)
        out = con.text()
        for pat in t.forbid:
            m = re.search(pat, out, re.M)
            if m:
                line = out[out.rfind("\n", 0, m.start()) + 1:out.find("\n", m.end())]
                problems.append("forbidden /%s/: %s" % (pat, line.strip()))
        if t.expect_exit is not None and proc.returncode != t.expect_exit and not any(
                "still running" in p for p in problems):
            problems.append("QEMU exited with %s, expected %s" % (proc.returncode, t.expect_exit))
        for check in t.checks:
            msg = check(out)
            if msg:
                problems.append(msg)
        elapsed = time.monotonic() - start
        log.write("\n# result: %s in %.1fs\n" % ("PASS" if not problems else "FAIL", elapsed))
    return t, problems, elapsed, log_path


def tail(path, n=40):
    with open(path, errors="replace") as f:
        lines = f.readlines()
    return "".join(lines[-n:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", nargs="+", default=["aarch64"])
    ap.add_argument("--filter", default=None, help="regex on test names")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("ITEST_JOBS", "2")))
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()

    tests = [t for t in cases.all_tests() if t.arch in args.arch]
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, t.name)]
    if args.list:
        for t in tests:
            print(t.name)
        return 0
    passed = failed = 0
    say("itest: running %d tests (%s), logs in build/itest/" % (len(tests), " ".join(args.arch)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for t, problems, elapsed, log_path in ex.map(run_test, tests):
            if problems:
                failed += 1
                say("[ FAIL ] %s (%.1fs)\n  %s\n  log: %s\n--- last lines ---\n%s---" %
                    (t.name, elapsed, "\n  ".join(problems), os.path.relpath(log_path, ROOT),
                     tail(log_path)))
            else:
                passed += 1
                say("[  OK  ] %s (%.1fs)" % (t.name, elapsed))
    say("itest: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
