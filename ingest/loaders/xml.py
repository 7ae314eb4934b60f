"""XML loader: a parse that refuses entity tricks and absurd nesting, then dispatch on the root element."""

from __future__ import annotations

import io
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

from ingest.loaders import jats_xml, medquad_xml, pubmed_xml
from ingest.loaders.base import LoadContext, LoadResult
from rag_service.domain.errors import IngestError


def load(data: bytes, ctx: LoadContext) -> LoadResult:
    """Parse a PubMed, PMC (JATS) or MedQuAD XML file into documents.

    Args:
        data: The file's bytes.
        ctx: Facts about the file; ``max_xml_depth`` bounds element nesting.

    Returns:
        The documents, with per-article or per-pair problems in ``record_errors``.

    Raises:
        IngestError: The XML is unsafe, malformed, too deeply nested, of an unknown schema, or has no text.
    """
    if not data.strip():
        raise IngestError("no extractable text")
    root = parse_xml(data, ctx.max_xml_depth)
    name = root.tag
    if name in ("PubmedArticleSet", "PubmedArticle"):
        return pubmed_xml.from_element(root, ctx)
    if name == "article":
        return jats_xml.from_element(root, ctx)
    if name in ("Document", "DiseaseFile") and root.find("QAPairs") is not None:
        return medquad_xml.from_element(root, ctx)
    raise IngestError(f"unsupported XML schema: root element <{name}>")


def parse_xml(data: bytes, max_depth: int) -> Element:
    """Parse XML safely and strip namespaces from element names.

    Entity declarations are refused outright (billion-laughs expansion, external entities reading local
    files); a DOCTYPE that only names a DTD, as PubMed and PMC files do, is allowed and never fetched.

    Args:
        data: The XML bytes.
        max_depth: The deepest element nesting accepted; deeper documents are refused before they can exhaust
            the recursion of the code that walks them.

    Returns:
        The root element, with ``{namespace}`` prefixes removed from every tag.

    Raises:
        IngestError: The XML declares entities, is malformed, or nests deeper than ``max_depth``.
    """
    root: Element | None = None
    depth = 0
    try:
        for event, element in iterparse(
            io.BytesIO(data), events=("start", "end"), forbid_dtd=False, forbid_entities=True
        ):
            if event == "start":
                depth += 1
                if depth > max_depth:
                    raise IngestError(
                        f"XML nested too deeply (more than {max_depth} levels); is this a real article file?"
                    )
                if root is None:
                    root = element
                # Some JATS and PubMed exports declare a default namespace; schemas are matched by local name.
                if "}" in element.tag:
                    element.tag = element.tag.rsplit("}", 1)[1]
            else:
                depth -= 1
    except (EntitiesForbidden, DTDForbidden, ExternalReferenceForbidden) as exc:
        raise IngestError("unsafe XML (entity declarations are not allowed)") from exc
    except ParseError as exc:
        line, column = exc.position
        raise IngestError(f"malformed XML: line {line} column {column}") from exc
    if root is None:
        raise IngestError("no extractable text")
    return root
