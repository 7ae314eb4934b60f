"""Small text PDFs built in memory, for loader, upload and browser tests."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject


def make_pdf(
    pages: Sequence[str],
    *,
    title: str | None = None,
    outline: Sequence[tuple[str, int, str | None]] = (),
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """A PDF with the given page texts in Helvetica; ``outline`` holds (title, 0-based page, parent title)."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for text in pages:
        page = writer.add_blank_page(612, 792)
        if not text:
            continue
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        lines = b"".join(b"(" + line.encode("latin-1") + b") Tj T* " for line in text.split("\n"))
        stream = ContentStream(None, None)
        stream.set_data(b"BT /F1 12 Tf 72 720 Td 14 TL " + lines + b"ET")
        page.replace_contents(stream)
    items: dict[str, Any] = {}
    for item_title, page_number, parent in outline:
        items[item_title] = writer.add_outline_item(
            title=item_title, page_number=page_number, parent=items[parent] if parent else None
        )
    if title is not None:
        writer.add_metadata({"/Title": title})
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password=owner_password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
