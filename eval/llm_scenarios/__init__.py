"""Scripted-LLM scenarios on PubMedQA: a chat server that answers like a model, and what verification makes of it.

* :mod:`.requests` reads a chat request (answer, rewrite or judge prompt) back into its parts;
* :mod:`.answers` writes the faithful answer: the authors' conclusion, each sentence cited to the passages of
  its own abstract;
* :mod:`.alterations` makes one deterministic alteration of it (a number, a negation, a citation);
* :mod:`.model` puts them together as the scripted model; ``eval/scripted_llm.py`` serves it over HTTP;
* :mod:`.figures` joins a ``rag-eval`` run with the alteration log into the scenario figures.
"""
