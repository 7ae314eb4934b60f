"""The drug synonym list and the query expansion built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.domain.errors import ConfigurationError
from rag_service.services.drug_synonyms import DEFAULT_PATH, DrugSynonyms, default_synonyms

pytestmark = pytest.mark.unit


def test_the_shipped_list_states_its_origin_and_covers_common_drugs() -> None:
    header = [line for line in DEFAULT_PATH.read_text().splitlines() if line.startswith("#")]
    assert any("Origin" in line for line in header)
    names = default_synonyms()
    assert len(names.groups) >= 150
    for a, b in [
        ("paracetamol", "acetaminophen"),
        ("adrenaline", "epinephrine"),
        ("salbutamol", "albuterol"),
        ("lignocaine", "lidocaine"),
        ("frusemide", "furosemide"),
        ("pethidine", "meperidine"),
        ("glyceryl trinitrate", "nitroglycerin"),
        ("Tylenol", "paracetamol"),
    ]:
        assert names.mentions(a) == names.mentions(b) != [], (a, b)


@pytest.mark.parametrize(
    ("query", "added"),
    [
        ("maximum daily dose of paracetamol", "acetaminophen"),
        ("Adrenaline dose in anaphylaxis?", "epinephrine"),
        ("albuterol nebuliser in children", "salbutamol"),
        ("Tylenol overdose", "acetaminophen"),
        ("co-amoxiclav for dog bites", "amoxicillin-clavulanate"),
    ],
)
def test_expansion_adds_the_other_generic_names(query: str, added: str) -> None:
    expanded = default_synonyms().expand(query)
    assert expanded.startswith(query) and added in expanded


def test_brand_names_are_never_added_and_other_queries_are_unchanged() -> None:
    names = default_synonyms()
    assert "Tylenol" not in names.expand("paracetamol dose")
    assert names.expand("sepsis fluid bolus volume") == "sepsis fluid bolus volume"
    # A name inside another word is not a mention.
    assert names.mentions("paracetamolic") == []
    # Both names already present: nothing to add but the remaining one.
    assert names.expand("paracetamol (acetaminophen) and APAP") == "paracetamol (acetaminophen) and APAP"


def test_a_name_in_two_groups_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "names.tsv"
    path.write_text("# test\nparacetamol, acetaminophen\t\nacetaminophen, APAP\t\n")
    with pytest.raises(ConfigurationError, match="two groups"):
        DrugSynonyms.load(path)
