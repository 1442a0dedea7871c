"""A recipe's real training data for benchmarks: its `data` stage built in a temporary folder.

Shared by the throughput benchmarks so that every model they time trains on the same packed windows.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

from phys.stages.context import StageContext
from phys.core.plan import make_plan
from phys.core.registry import load_recipe


class RecipeData(NamedTuple):
    cfg: Any  # the train stage's config
    tokenizer: Any
    docs: Any  # the training documents (Docs)
    seconds: float  # how long the data stage took


@contextmanager
def recipe_data(recipe: str, scale: str, overrides: Sequence[str] = ()) -> Iterator[RecipeData]:
    """The train config, tokenizer and training Docs of `recipe` at `scale`, and the data stage's time; the
    data lives until the block exits."""
    from phys.science.data.packing import Docs
    from phys.science.data.tokenizer import Tokenizer

    plan = make_plan(load_recipe(recipe), scale, list(overrides))
    data_stage, train_stage = plan.stage("data"), plan.stage("train")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        data_stage.function(StageContext("data", data_stage.config, data_stage.seed, out, log=lambda line: None))
        seconds = time.perf_counter() - t0
        yield RecipeData(train_stage.config, Tokenizer.load(out / "tokenizer.json"), Docs.load(out, "train"), seconds)
