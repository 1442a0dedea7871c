"""A recipe's real training data for benchmarks: its `data` stage built in a temporary folder.

Shared by the throughput benchmarks so that every model they time trains on the same packed windows.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from phys.context import StageContext
from phys.plan import make_plan
from phys.registry import load_recipe


@contextmanager
def recipe_data(recipe: str, scale: str, overrides: Sequence[str] = ()) -> Iterator[tuple[Any, Any, Any]]:
    """(train config, tokenizer, Docs) of `recipe` at `scale`; the data lives until the block exits."""
    from phys.data.packing import Docs
    from phys.data.tokenizer import Tokenizer

    plan = make_plan(load_recipe(recipe), scale, list(overrides))
    data_stage, train_stage = plan.stage("data"), plan.stage("train")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        module, func = data_stage.run.split(":")
        getattr(__import__(module, fromlist=[func]), func)(
            StageContext("data", data_stage.config, data_stage.seed, out, log=lambda line: None))
        yield train_stage.config, Tokenizer.load(out / "tokenizer.json"), Docs.load(out, "train")
