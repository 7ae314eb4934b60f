"""Typed dependencies shared by the routes; tests override these rather than patching code."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag_service.api.state import ServiceState
from rag_service.domain.protocols import FileIngester
from rag_service.services.answering import AnswerService
from rag_service.services.documents import DocumentService
from rag_service.services.feedback import FeedbackService
from rag_service.services.search import SearchService
from rag_service.settings import Settings


def get_state(request: Request) -> ServiceState:
    """The service state built by the app's lifespan."""
    state: ServiceState = request.app.state.service
    return state


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_documents(state: Annotated[ServiceState, Depends(get_state)]) -> DocumentService:
    """The document service, once the index is open (503 in the envelope while it cannot be)."""
    state.ensure_open()
    return state.documents


def get_search(state: Annotated[ServiceState, Depends(get_state)]) -> SearchService:
    """The search service, once the index is open (503 in the envelope while it cannot be)."""
    state.ensure_open()
    return state.search


def get_answers(state: Annotated[ServiceState, Depends(get_state)]) -> AnswerService:
    """The answering service, once the index is open (503 in the envelope while it cannot be)."""
    state.ensure_open()
    return state.answers


def get_feedback(state: Annotated[ServiceState, Depends(get_state)]) -> FeedbackService:
    """The feedback service; it does not need the index, so it works while the store is down."""
    return state.feedback


def get_uploads(state: Annotated[ServiceState, Depends(get_state)]) -> FileIngester:
    """The ingester of uploaded files, once the index is open (503 in the envelope while it cannot be)."""
    state.ensure_open()
    return state.uploads


StateDep = Annotated[ServiceState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]
SearchDep = Annotated[SearchService, Depends(get_search)]
AnswersDep = Annotated[AnswerService, Depends(get_answers)]
FeedbackDep = Annotated[FeedbackService, Depends(get_feedback)]
UploadsDep = Annotated[FileIngester, Depends(get_uploads)]
