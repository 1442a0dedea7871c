"""How a phys process uses the CPU: bf16 or not, its threads, the allocator, denormals, the machine's load.

- **Precision.** `precision=auto` trains in bf16 autocast on a CPU with native bf16 where it is faster (its
  bf16 GEMMs ran 640-790 GFLOP/s against 140-160 in fp32 on a 2-core AMD EPYC), in fp32 elsewhere (emulated
  bf16 ran 2.4x slower than fp32 on an Intel Xeon, Ice Lake, without it: 6,920 vs 16,623 tokens/s; native
  `avx512_bf16` without AMX on an Intel Xeon 1.44x slower: 12,970 vs 18,705; `auto_bf16`).

- **Threads.** torch starts one OpenMP thread per core in every process, so two trainings on 2 cores run
  4 threads that spin against each other: two `reversal_curse` trainings at once took 1.87x as long as one
  after the other (222 vs 119 s), and on a busy machine 2 threads gave 391 tokens/s where 1 gave 2,128.
  Every process that computes a stage holds a `Share`: a file `<pid>` in a machine-wide folder of this
  user's live phys processes, and `cores // live processes` threads (at least 1), re-counted every
  `REBALANCE_EVERY_S` seconds by the training loop (`rebalance`), so a second training halves the first
  one's threads while it lasts and gives them back when it ends. `--threads N` (exported as
  `PHYS_THREADS`, as is an `OMP_NUM_THREADS` the user set) fixes the count instead.
- **Allocator.** glibc serves blocks above 128 KB with mmap and returns them when freed, so every step's
  activations page-fault their memory in again (about 8,000 faults a step at the cpu-scale model). Keeping
  freed memory in the heap (`mallopt`) made a bf16 step 12-19% faster and an fp32 one 4-7% (AMD EPYC,
  native bf16, 2 cores, whole runs alternated; on an Intel Xeon, Ice Lake, it cut the page faults of an
  fp32 step from 6,400-10,000 to 40-100, wall time unchanged within noise); the heap's peak is what a
  step needs at most.
- **Denormals** are flushed to zero: denormal gradients made CPU matmuls up to 5x slower.

Torch-free at import: torch's threads are set only once torch is loaded (before that, through
`OMP_NUM_THREADS`, which torch reads when it starts).
"""

from __future__ import annotations

import ctypes
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

THREADS_ENV = "PHYS_THREADS"
BF16_ENV = "PHYS_CPU_BF16"
REBALANCE_EVERY_S = 2.0


def auto_bf16() -> bool:
    """Whether `precision=auto` trains in bf16 on this CPU: where bf16 is native (`hardware_bf16`) and not
    slower than fp32 for phys's models. On an Intel Xeon with `avx512_bf16` but no AMX, a bf16 step of
    reversal_curse's cpu model ran 12,970 tokens/s against 18,705 in fp32 (2 threads, one run after the
    other): 1.44x slower, so auto stays in fp32 there. On an AMD EPYC (avx512_bf16) auto keeps bf16, as
    since issue 18: its bf16 GEMMs ran 4-5x faster than fp32 (the module docstring; docs/ARCHITECTURE.md has
    the whole-step figures, and AUDIT.md a tiny capacity model slower in bf16 on a loaded machine). Where the
    CPU has AMX (`amx_bf16`) bf16 is taken as faster (oneDNN's AMX kernels; not measured here).
    PHYS_CPU_BF16=1 or 0 overrides the answer: both paths can be tested on one machine."""
    forced = os.environ.get(BF16_ENV, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    flags = cpu_flags()
    return hardware_bf16() and ("amx_bf16" in flags or vendor() != "GenuineIntel")


def hardware_bf16() -> bool:
    """Whether the CPU's flags name native bf16, whatever PHYS_CPU_BF16 says."""
    flags = cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_flags() -> set[str]:
    """The first CPU's flags (`/proc/cpuinfo`); empty where there is none."""
    return set(_cpuinfo_field("flags").split())


def vendor() -> str:
    """The CPU's vendor id (`GenuineIntel`, `AuthenticAMD`), or "" where /proc/cpuinfo does not say."""
    return _cpuinfo_field("vendor_id")


def _cpuinfo_field(name: str) -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() == name:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def model_name() -> str:
    """The CPU's model name (`/proc/cpuinfo`), or what the platform says."""
    return _cpuinfo_field("model name") or platform.processor() or "cpu"


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity, capped by a cgroup (v2) CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def _positive(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and int(value) >= 1 else None


# Set by phys's launcher of torchrun ranks when the user set no OMP_NUM_THREADS: torchrun then sets it to 1
# for every rank, which is not the user's choice.
NOT_USER_OMP_ENV = "PHYS_OMP_NOT_USER"
# OMP_NUM_THREADS as the process started (`set_threads` writes it later), when it is the user's
_USER_OMP = None if os.environ.get(NOT_USER_OMP_ENV) else _positive(os.environ.get("OMP_NUM_THREADS"))


def fixed_threads() -> int | None:
    """The thread count the user fixed (`--threads`, exported as PHYS_THREADS, or OMP_NUM_THREADS), if any."""
    return _positive(os.environ.get(THREADS_ENV)) or _USER_OMP


def registry() -> Path:
    """The folder of this user's live phys processes on this machine (one file per pid)."""
    return Path(tempfile.gettempdir()) / f"phys-{os.getuid()}" / "live"


def live_processes(folder: Path) -> int:
    """How many processes in `folder` are alive (files of dead ones are removed)."""
    from phys.machine.process import is_alive, identity

    host = identity()["host"]
    count = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            started = entry.read_text().strip() or None
        except OSError:
            continue  # removed meanwhile
        if is_alive({"host": host, "pid": int(entry.name), "pid_start": started}):
            count += 1
            continue
        try:  # dead: remove its file, unless a new process of the same pid rewrote it meanwhile
            if (entry.read_text().strip() or None) == started:
                entry.unlink(missing_ok=True)
        except OSError:
            pass
    return count


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def share_of(cores: int, live: int) -> int:
    return max(1, cores // max(1, live))


class Share:
    """This process's claim on the CPU while it computes stages: registered on enter, gone on exit."""

    def __init__(self, folder: Path | None = None, cores: int | None = None) -> None:
        self.folder = folder or registry()
        self.cores = cores or available_cores()
        self.fixed = fixed_threads()
        self.threads: int | None = None  # what torch was last given
        self._checked = 0.0
        self._file: Path | None = None

    def __enter__(self) -> Share:
        global _current
        from phys.machine.process import start_time

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._file = self.folder / str(os.getpid())
            self._file.write_text(start_time(os.getpid()) or "")
        except OSError:
            self._file = None  # an unwritable temp folder: the share is then this process's alone
        _current = self
        self.rebalance(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        global _current
        if self._file is not None:
            self._file.unlink(missing_ok=True)
        if _current is self:
            _current = None

    def wanted(self) -> int:
        if self.fixed is not None:
            return self.fixed
        return share_of(self.cores, live_processes(self.folder) if self._file is not None else 1)

    def rebalance(self, force: bool = False) -> int | None:
        """Re-count the live processes (at most every REBALANCE_EVERY_S) and give torch this process's
        share; returns the new thread count when it changed."""
        now = time.monotonic()
        if not force and now - self._checked < REBALANCE_EVERY_S:
            return None
        self._checked = now
        threads = self.wanted()
        if threads == self.threads:
            return None
        previous, self.threads = self.threads, threads
        set_threads(threads)
        return threads if previous is not None else None


_current: Share | None = None


def rebalance() -> int | None:
    """The held share's `rebalance()` (the training loop calls it every step; it costs a clock read)."""
    return _current.rebalance() if _current is not None else None


def current_threads() -> int | None:
    return _current.threads if _current is not None else None


def set_threads(threads: int) -> None:
    """torch's intra-op threads (and, while it still can, its inter-op threads) or, before torch is
    loaded, OMP_NUM_THREADS for it to read."""
    torch = sys.modules.get("torch")
    if torch is None:
        os.environ["OMP_NUM_THREADS"] = str(threads)
        return
    if torch.get_num_threads() != threads:
        # Only on a change: setting the count torch already has (2 on 2 cores) still slowed a probe's small
        # steps (200 x 5 tokens, 4 x 128 GPT) from 48-56 to 62-77 ms on an AMD EPYC, 3 runs each.
        torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != threads:
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:
            pass  # settable once, before inter-op work starts; phys runs none


_TUNED = False


def tune_for_training() -> None:
    """Once per process: flush denormals, and keep freed memory in glibc's heap (see the module's text)."""
    global _TUNED
    import torch

    torch.set_flush_denormal(True)
    if _TUNED:
        return
    _TUNED = True
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:
            return  # not glibc (musl): its allocator has no such knobs
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        m_trim_threshold, m_mmap_threshold = -1, -3
        # blocks up to 32 MiB (glibc's documented maximum; an activation of the cpu-scale model is 8 MB)
        # from the heap, not mmap, and no trimming of the heap's top back to the OS. Best effort: a libc
        # that refuses a value keeps its default. Measured on an Intel Xeon: minor page faults per fp32
        # step 6,400-10,000 without, 40-100 with.
        libc.mallopt(m_mmap_threshold, 32 << 20)
        libc.mallopt(m_trim_threshold, 2**31 - 1)


def cpu_times() -> tuple[int, int] | None:
    """(steal, total) clock ticks of the whole machine since boot (Linux /proc/stat), else None. Steal is
    the time a virtual machine's host gave its CPUs to others: on a cloud VM it makes every timing slower."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of CPU time stolen by the host between two `cpu_times()`."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def load_warning(cores: int | None = None) -> str | None:
    """A line when the machine's 1-minute load is above its cores (training then runs slower), else None."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    cores = cores or available_cores()
    if load <= cores:
        return None
    return (f"the machine's load ({load:.1f} over the last minute) is above its {cores} cores: training runs "
            f"slower (measured on 2 cores: two trainings at once took 1.87x as long as one after the other; at "
            f"load 20 a training ran at 391 tokens/s on 2 threads, 2,128 on 1) and its timings are not comparable")
