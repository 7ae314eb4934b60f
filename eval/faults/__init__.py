"""Shared parts of the production-readiness benchmarks (``bench_fuzz``, ``bench_faults``, ``bench_load``).

They drive the installed console scripts (``rag-serve``, ``rag-ingest``, ``rag-keys``, ``chroma``) as an
operator would, on loopback, each in a temporary data directory; nothing here imports the API layer.
"""
