"""What every Embedder, SupportScorer and ChatModel must do, whatever model sits behind it."""

from __future__ import annotations

import numpy as np
import pytest

from rag_service.domain.protocols import ChatModel, Embedder, SupportScorer
from rag_service.services.prompts import DEFAULT_DIR, PromptSet
from rag_service.services.support import Claim

PASSAGE = "Give 30 mL/kg of intravenous crystalloid within the first 3 hours. Reassess the patient often."
HISTORY = [{"role": "user", "content": "Which drugs treat septic shock?"}]
UNRELATED = "Inhaled corticosteroids reduce exacerbations in adults with persistent asthma."


class EmbedderContract:
    """Mix into a test class that provides ``embedder``, already warmed up."""

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    def test_it_names_its_model_and_warms_up_once(self, embedder: Embedder) -> None:
        assert embedder.model_id and embedder.dimension() > 0
        embedder.warm_up()  # a second warm-up is harmless
        assert embedder.dimension() > 0

    def test_rows_are_unit_length_float32_one_per_text(self, embedder: Embedder) -> None:
        vectors = embedder.embed_documents([PASSAGE, UNRELATED, "x"])
        assert vectors.shape == (3, embedder.dimension()) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert embedder.embed_documents([]).shape == (0, embedder.dimension())

    def test_a_query_is_one_row_like_the_same_document(self, embedder: Embedder) -> None:
        query = embedder.embed_query(PASSAGE)
        assert query.shape == (1, embedder.dimension())
        assert np.allclose(query, embedder.embed_documents([PASSAGE]), atol=1e-5)

    def test_related_texts_are_closer_than_unrelated_ones(self, embedder: Embedder) -> None:
        query = embedder.embed_query("how much intravenous crystalloid in the first hours")[0]
        passage, unrelated = embedder.embed_documents([PASSAGE, UNRELATED])
        assert float(query @ passage) > float(query @ unrelated)


class SupportScorerContract:
    """Mix into a test class that provides ``scorer``."""

    @pytest.fixture
    def scorer(self) -> SupportScorer:
        raise NotImplementedError

    def test_it_says_what_scored(self, scorer: SupportScorer) -> None:
        assert scorer.name and scorer.version

    def test_one_score_in_range_per_claim_in_order(self, scorer: SupportScorer) -> None:
        claims = [
            Claim("Give 30 mL/kg of intravenous crystalloid within the first 3 hours [1].", (PASSAGE,)),
            Claim("Give fluids.", ()),
            Claim("Give 30 mL/kg of intravenous crystalloid within the first 3 hours [1].", (UNRELATED,)),
        ]
        results = scorer.score(claims)
        assert len(results) == 3 and all(0.0 <= r.score <= 1.0 for r in results)
        quoted, uncited, miscited = results
        assert uncited.score == 0.0  # nothing cited, nothing supports it
        assert quoted.score > miscited.score
        assert scorer.score([]) == []

    def test_scores_do_not_depend_on_the_batch(self, scorer: SupportScorer) -> None:
        claims = [
            Claim("Give 30 mL/kg of intravenous crystalloid within the first 3 hours [1].", (PASSAGE,)),
            Claim("Inhaled corticosteroids reduce exacerbations [1].", (UNRELATED,)),
        ]
        together = scorer.score(claims)
        assert [r.score for r in together] == [scorer.score([c])[0].score for c in claims]


class ChatModelContract:
    """Mix into a test class that provides ``chat``."""

    @pytest.fixture
    def chat(self) -> ChatModel:
        raise NotImplementedError

    def test_it_names_its_model_and_replies_with_text(self, chat: ChatModel) -> None:
        # The service's own rewrite prompt, which every model behind the service is sent.
        prompts = PromptSet(DEFAULT_DIR)
        messages = [
            ("system", prompts.render("rewrite.system")),
            ("user", prompts.render("rewrite.user", history=HISTORY, question="And which one comes first?")),
        ]
        reply = chat.complete(messages)
        assert chat.model and isinstance(reply, str) and reply.strip()
        assert chat.complete(messages) == reply  # the same request gets the same reply (temperature 0)
