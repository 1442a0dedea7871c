"""The stages of the `toy_queue` recipe (no torch)."""

import json
import os
import time
from pathlib import Path

from phys.errors import StageInterrupted
from phys.stages.context import StageContext


def work(ctx: StageContext) -> dict:
    started = time.time()
    (ctx.out / "started.json").write_text(json.dumps({"pid": os.getpid()}))
    if ctx.config.wait_for:
        while not Path(ctx.config.wait_for).exists():
            if ctx.should_stop():
                raise StageInterrupted("stopped while waiting")
            time.sleep(0.05)
    while time.time() - started < ctx.config.seconds:
        if ctx.should_stop():
            raise StageInterrupted("stopped")
        time.sleep(0.05)
    record = {"pid": os.getpid(), "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
              "threads": os.environ.get("OMP_NUM_THREADS"), "device": ctx.device, "start": started,
              "end": time.time()}
    (ctx.out / "where.json").write_text(json.dumps(record))
    ctx.log(f"worked in pid {record['pid']}")
    return {"worked": 1}


def gather(ctx: StageContext) -> dict:
    return {"gathered": sum(1 for role in ctx.inputs if role.startswith("work"))}
