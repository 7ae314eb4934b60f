"""Drug names across countries and brands: paracetamol is acetaminophen, adrenaline is epinephrine.

The groups come from ``rag_service/resources/drug_synonyms.tsv`` (its header states where they come from).
Retrieval adds a group's generic names to a query that names any member of it, so a question about
paracetamol also finds an FDA label that only says acetaminophen; conflict checking uses the same groups to
know that two sentences speak of the same drug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag_service.domain.errors import ConfigurationError

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "resources" / "drug_synonyms.tsv"


@dataclass(frozen=True, slots=True)
class DrugGroup:
    """One active substance: its generic names (INN first) and its brand names."""

    generics: tuple[str, ...]
    brands: tuple[str, ...]

    @property
    def canonical(self) -> str:
        """The INN, lower-cased: the key two mentions of the same drug share."""
        return self.generics[0].casefold()


def _name_pattern(name: str) -> str:
    # Spaces, hyphens and slashes inside a name are interchangeable ("co amoxiclav", "carbidopa/levodopa").
    parts = [re.escape(p) for p in re.split(r"[\s\-/]+", name) if p]
    return r"[\s\-/]*".join(parts)


class DrugSynonyms:
    """Finds drug names in text and expands them to every generic name of the same drug."""

    def __init__(self, groups: list[DrugGroup]) -> None:
        self.groups = groups
        by_name: dict[str, DrugGroup] = {}
        for group in groups:
            for name in (*group.generics, *group.brands):
                key = _normalise(name)
                if key in by_name and by_name[key] is not group:
                    raise ConfigurationError(f"drug synonyms: {name!r} is in two groups")
                by_name[key] = group
        self._by_name = by_name
        # Longest names first, so "insulin glargine" wins over a shorter name inside it.
        names = sorted((n for g in groups for n in (*g.generics, *g.brands)), key=len, reverse=True)
        alternatives = "|".join(_name_pattern(n) for n in names)
        self._pattern = re.compile(rf"(?<![\w\-])(?:{alternatives})(?![\w\-])", re.IGNORECASE)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> DrugSynonyms:
        """Read a synonym file: ``generic, generic<TAB>brand, brand`` per line, ``#`` comments."""
        if not path.is_file():
            raise ConfigurationError(f"drug synonym file {path} does not exist")
        groups: list[DrugGroup] = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            generic, _, brand = line.partition("\t")
            generics = tuple(g.strip() for g in generic.split(",") if g.strip())
            brands = tuple(b.strip() for b in brand.split(",") if b.strip())
            if not generics:
                raise ConfigurationError(f"{path.name}, line {n}: no generic name")
            groups.append(DrugGroup(generics, brands))
        return cls(groups)

    def mentions(self, text: str) -> list[DrugGroup]:
        """The drugs named in ``text``, each once, in order of first mention."""
        found: dict[str, DrugGroup] = {}
        for match in self._pattern.finditer(text):
            group = self._by_name.get(_normalise(match.group(0)))
            if group is not None:
                found.setdefault(group.canonical, group)
        return list(found.values())

    def expand(self, query: str) -> str:
        """``query`` with the other generic names of every drug it names appended (unchanged when none).

        Brand names are recognised but never added: they would pull in product packaging text, and a
        generic name finds the same documents.
        """
        extra: list[str] = []
        present = query.casefold()
        for group in self.mentions(query):
            for name in group.generics:
                if not re.search(rf"(?<![\w\-]){_name_pattern(name.casefold())}(?![\w\-])", present):
                    extra.append(name)
        return f"{query} ({', '.join(extra)})" if extra else query


def _normalise(matched: str) -> str:
    return re.sub(r"[\s\-/]+", " ", matched).casefold()


@lru_cache(maxsize=1)
def default_synonyms() -> DrugSynonyms:
    """The shipped list, read once per process."""
    return DrugSynonyms.load()
