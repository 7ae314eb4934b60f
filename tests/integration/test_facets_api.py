"""GET /v1/facets over the RECORDS corpus, in process: the filter values of what is actually indexed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def test_facets_count_the_current_documents(api: TestClient) -> None:
    res = api.get("/v1/facets")
    assert res.status_code == 200, res.text
    # ssc-2016 is superseded by ssc-2021 (same series), so a default search never sees it: not counted.
    assert res.json() == {
        "documents": 6,
        "doc_types": [
            {"value": "guideline", "count": 3},
            {"value": "literature", "count": 2},
            {"value": "protocol", "count": 1},
        ],
        "organisations": [
            {"value": "GINA", "count": 2},
            {"value": "City Hospital", "count": 1},
            {"value": "SCCM", "count": 1},
        ],
        "years": {"min": 2013, "max": 2023},
    }


def test_every_facet_value_is_a_filter_that_finds_evidence(api: TestClient) -> None:
    body = api.get("/v1/facets").json()
    for org in body["organisations"]:
        res = api.post(
            "/v1/search",
            json={
                "question": "sepsis fluids asthma inhaler treatment",
                "min_relevance": 0.0,
                "filters": {"organisations": [org["value"]]},
            },
        )
        assert res.status_code == 200, res.text
        found = {e["organisation"] for e in res.json()["results"]}
        assert found == {org["value"]}, org
