# The clinical RAG service. Build: docker compose build. The model ships inside a Python package, so the image
# needs no model download at build or run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RAG_DATA_DIR=/data RAG_ANSWER__PROMPTS_DIR=/app/prompts
# torch is installed first and pinned; pass --build-arg PIP_EXTRA_INDEX_URL=<a CPU wheel index> to avoid the
# large GPU build on machines without a GPU.
ARG TORCH_SPEC="torch==2.13.0"
ARG PIP_EXTRA_INDEX_URL=""
WORKDIR /app
RUN pip install "${TORCH_SPEC}"
COPY pyproject.toml README.md ./
COPY rag_service ./rag_service
COPY ingest ./ingest
COPY eval ./eval
COPY prompts ./prompts
RUN pip install ".[llm]" && useradd --create-home --uid 1000 rag && mkdir -p /data && chown rag /data
USER rag
EXPOSE 8000
CMD ["rag-serve", "--host", "0.0.0.0", "--port", "8000"]
