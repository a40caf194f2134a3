"""Which probes an audit asks: every object's primary doors, and the URL-shape variants by state.

A leak of one object (a door that serves this article, this file) shows on that object's primary
probe at the door, so every non-public object is asked at each door it has: article URL,
working-draft URL, the API's article and draft, asset URL, rendition URL, direct storage URL.
The variants (HEAD, a forged session cookie or API token, no trailing slash, upper case,
percent-encoding, ``?preview=1``, ``?format=json``, ``Range``) exercise code paths that an object's
state decides, not its identity: they are asked for up to ``VARIANTS_PER_STATE`` objects of each
state (kind, status, classification, embargo ended, once public, edited since, file type), chosen
at random from the run's seed, so that every state is covered. ``exhaustive`` asks every variant
of every object, the full cross product.
"""

import random
from collections import defaultdict
from dataclasses import dataclass

from articles.exposure.hidden import Secrets
from articles.exposure.probes import (
    Probe,
    api_draft_probes,
    api_probes,
    article_probes,
    asset_probes,
    draft_probes,
    rendition_probes,
    storage_prefixes,
)

VARIANTS_PER_STATE = 20
PRIMARY_VECTORS = frozenset(
    {
        "article URL",
        "working-draft URL",
        "API article",
        "API working draft",
        "asset URL",
        "rendition URL",
    }
)


def is_primary(probe: Probe) -> bool:
    """Whether ``probe`` is an object's plain request at one of its doors (asked of every object)."""
    return probe.vector in PRIMARY_VECTORS or probe.vector.startswith("storage served at ")


@dataclass(frozen=True)
class Door:
    """One non-public object: its kind, its state, and every probe of every door it has."""

    kind: str
    state: str
    label: str
    probes: list[Probe]


@dataclass(frozen=True)
class Plan:
    probes: list[Probe]
    objects: int
    varied: int  # objects whose variants are asked
    states: int
    exhaustive: bool
    seed: int
    varied_labels: frozenset[str]

    def describe(self) -> str:
        """The sampling, in the words the report prints."""
        if self.exhaustive:
            return f"variants: all {self.objects} objects (exhaustive)"
        return (
            f"variants: {self.varied} of {self.objects} objects, every state ({self.states} "
            f"states, up to {VARIANTS_PER_STATE} objects each, seed {self.seed}); primary "
            "doors: every object"
        )


def object_doors(found: Secrets) -> list[Door]:
    """Every non-public article, working draft, asset and rendition, with all of its probes."""
    doors = [
        Door(
            "article",
            found.states.get(label, ""),
            label,
            article_probes(slug, label) + api_probes(slug, label),
        )
        for slug, label in found.articles
    ]
    doors += [
        Door(
            "working draft",
            found.states.get(label, ""),
            label,
            draft_probes(slug, label) + api_draft_probes(slug, label),
        )
        for slug, label in found.working_drafts
    ]
    prefixes = storage_prefixes()
    doors += [
        Door("asset", found.states.get(asset[-1], ""), asset[-1], asset_probes(*asset, prefixes))
        for asset in found.assets
    ]
    doors += [
        Door("rendition", found.states.get(copy[-1], ""), copy[-1], rendition_probes(*copy))
        for copy in found.renditions
    ]
    return doors


def _sample(doors: list[Door], per_state: int, rng: random.Random) -> tuple[set[int], int]:
    """Up to ``per_state`` doors of each (kind, state); and how many states there are."""
    by_state: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, door in enumerate(doors):
        by_state[(door.kind, door.state)].append(index)
    chosen: set[int] = set()
    for indices in by_state.values():
        chosen.update(rng.sample(indices, min(per_state, len(indices))))
    return chosen, len(by_state)


def request_plan(found: Secrets, *, exhaustive: bool = False, seed: int = 0) -> Plan:
    """The probes to ask: primary ones for every object, variants for a sample of every state."""
    doors = object_doors(found)
    if exhaustive:
        chosen, states = set(range(len(doors))), len({(d.kind, d.state) for d in doors})
    else:
        chosen, states = _sample(doors, VARIANTS_PER_STATE, random.Random(seed))
    probes = [
        probe
        for index, door in enumerate(doors)
        for probe in door.probes
        if index in chosen or is_primary(probe)
    ]
    return Plan(
        probes=probes,
        objects=len(doors),
        varied=len(chosen),
        states=states,
        exhaustive=exhaustive,
        seed=seed,
        varied_labels=frozenset(doors[index].label for index in chosen),
    )
