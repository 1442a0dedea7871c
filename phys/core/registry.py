"""Recipe discovery: the modules of `recipes/` (shipped inside the package, so a wheel has them) plus
any `*.py` in the folders named by `PHYS_RECIPES` (os.pathsep-separated), each exposing `RECIPE`.

Recipe names are validated before anything is imported, so a name can never point outside these folders.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

import phys.recipes
from phys.errors import PhysError
from phys.spec import NAME_RE, Recipe


def _extra_dirs() -> list[Path]:
    raw = os.environ.get("PHYS_RECIPES", "")
    return [Path(p) for p in raw.split(os.pathsep) if p]


def recipe_names() -> list[str]:
    names = {m.name for m in pkgutil.iter_modules(phys.recipes.__path__) if not m.name.startswith("_")}
    for folder in _extra_dirs():
        names |= {p.stem for p in folder.glob("*.py") if NAME_RE.match(p.stem)}
    return sorted(names)


def load_recipe(name: str) -> Recipe:
    names = recipe_names()
    if not NAME_RE.match(name) or name not in names:
        raise PhysError(f"unknown recipe {name!r}", hint=f"recipes: {', '.join(names)} (see `phys recipes`)")
    for folder in _extra_dirs():
        path = folder / f"{name}.py"
        if path.is_file():
            module_name = f"phys_user_recipes.{name}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module  # dataclasses resolve their module through sys.modules
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                del sys.modules[module_name]
                raise PhysError(f"recipe {path} does not load: {type(exc).__name__}: {exc}",
                                hint="fix the file or remove its folder from PHYS_RECIPES") from None
            break
    else:
        module = importlib.import_module(f"phys.recipes.{name}")
    recipe = getattr(module, "RECIPE", None)
    if not isinstance(recipe, Recipe):
        raise PhysError(f"recipe module {name!r} has no RECIPE of type phys.spec.Recipe",
                         hint="a recipe module defines RECIPE = phys.spec.Recipe(...)")
    return recipe


def all_recipes() -> list[Recipe]:
    return [load_recipe(n) for n in recipe_names()]
