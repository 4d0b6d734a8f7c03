"""Run profiles (smoke / default / full) from ``profiles.yml`` beside this module.

    >>> from genomics_hybrid.profiles import load_profile
    >>> load_profile("default")["datasets"][0]
    {'name': 'gse72056', 'source': 'replica'}

The Snakefile reads the profile named by ``--config profile=...`` the same way.
"""

from __future__ import annotations

import copy
import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .datasets.registry import SOURCES

PROFILES_FILE = Path(__file__).with_name("profiles.yml")


class ProfileError(ValueError):
    """An unknown profile name or a malformed profiles.yml."""


@lru_cache(maxsize=None)
def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or not data:
        raise ProfileError(f"{path} must map profile names to settings.")
    return data


def profile_names(path: str | Path = PROFILES_FILE) -> list[str]:
    """The profiles defined in ``profiles.yml``, in file order."""
    return list(_read(str(path)))


def load_profile(name: str, path: str | Path = PROFILES_FILE) -> dict[str, Any]:
    """The settings of profile ``name`` as a fresh dict (``name`` added; safe to modify).

    ``datasets`` is a list of ``{"name": ..., "source": ...}`` dicts. Raises ProfileError
    naming the known profiles when ``name`` is not one of them.
    """
    profiles = _read(str(path))
    if name not in profiles:
        close = difflib.get_close_matches(str(name), list(profiles), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ProfileError(f"Unknown profile {name!r}.{hint} Known profiles: "
                           f"{', '.join(profiles)} (defined in {path}).")
    profile = copy.deepcopy(profiles[name])
    if not isinstance(profile, dict):
        raise ProfileError(f"Profile {name!r} in {path} must be a mapping of settings.")
    profile["name"] = name
    profile.setdefault("seed", 0)
    datasets = profile.get("datasets") or []
    for entry in datasets:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ProfileError(f"Profile {name!r}: each dataset needs a name, got {entry!r}.")
        entry.setdefault("source", "auto")
        if entry["source"] not in SOURCES:
            raise ProfileError(f"Profile {name!r}, dataset {entry['name']!r}: source "
                               f"{entry['source']!r} is not one of {SOURCES}.")
    profile["datasets"] = datasets
    return profile



def privacy_datasets(profile: dict[str, Any]) -> list[str]:
    """The datasets of a profile that its privacy grid runs on (notebook 04): its ``privacy:
    datasets`` list, or every dataset of the profile when it has none."""
    names = [entry["name"] for entry in profile.get("datasets") or []]
    listed = (profile.get("privacy") or {}).get("datasets")
    if listed is None:
        return names
    unknown = sorted(set(listed) - set(names))
    if unknown:
        raise ProfileError(f"Profile {profile.get('name')!r}: privacy datasets {unknown} are not "
                           f"among its datasets ({', '.join(names)}).")
    return [name for name in names if name in listed]
