"""The ``rag-eval`` suite: datasets, runs against the service (in process or over HTTP), results and reports."""
