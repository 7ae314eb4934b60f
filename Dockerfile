# The clinical RAG service. Build: docker compose build. The model ships inside a Python package, so the image
# needs no model download at build or run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RAG_DATA_DIR=/data RAG_ANSWER__PROMPTS_DIR=/app/prompts
# torch is installed first, pinned, from the PyTorch CPU wheel index: the GPU build is gigabytes of CUDA
# libraries the service never uses. Override both build args to choose another build.
ARG TORCH_SPEC="torch==2.13.0"
ARG TORCH_INDEX_URL="https://download.pytorch.org/whl/cpu"
WORKDIR /app
RUN pip install --index-url "${TORCH_INDEX_URL}" "${TORCH_SPEC}"
COPY pyproject.toml README.md ./
COPY rag_service ./rag_service
COPY ingest ./ingest
COPY eval ./eval
COPY prompts ./prompts
# The llm and postgres extras, so the optional compose profiles work with this one image.
RUN pip install ".[llm,postgres]" && useradd --create-home --uid 1000 rag && mkdir -p /data && chown rag /data
USER rag
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=10s --start-period=120s --retries=20 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=5).status == 200 else 1)"]
CMD ["rag-serve", "--host", "0.0.0.0", "--port", "8000"]
