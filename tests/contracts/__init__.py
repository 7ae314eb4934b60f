"""Contract suites: one mixin per backend Protocol, reused by a test class per implementation.

A mixin (``<Protocol>Contract``) holds the behaviour every implementation must have and asks for the
implementation through a fixture the subclass provides, the way Haystack's ``haystack/testing/document_store.py``
mixins are reused by each document store.
"""
