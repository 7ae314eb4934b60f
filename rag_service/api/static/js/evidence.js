// The evidence side panel: the cited passage with the quoted sentence highlighted, and its provenance.
import { appendAll, clear, h, locate, renderMarkdownish } from "./dom.js";
import { links, section } from "./cite.js";
import { strengthText } from "./strength.js";

const DOC_TYPES = {
  guideline: "Guideline",
  protocol: "Local protocol",
  literature: "Literature",
  drug_label: "Drug label",
  patient_info: "Patient information",
  other: "Other",
};

export function docTypeLabel(value) {
  return DOC_TYPES[value] || String(value || "");
}

let panel;
let body;
let returnFocus = null;

export function initEvidence() {
  panel = document.getElementById("evidence");
  body = document.getElementById("evidence-body");
  document.getElementById("evidence-close").addEventListener("click", closeEvidence);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !panel.hidden && !document.querySelector("dialog[open]")) {
      e.preventDefault();
      closeEvidence();
    }
  });
}

export function closeEvidence() {
  if (!panel || panel.hidden) return;
  panel.hidden = true;
  document.body.classList.remove("panel-open");
  if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
  returnFocus = null;
}

function row(label, value) {
  if (value === null || value === undefined || value === "") return null;
  return [h("dt", {}, label), h("dd", {}, value)];
}

/**
 * Show citation ``c``; ``quotes`` are candidate sentences to highlight (the verifier's evidence sentence,
 * then the answer sentence itself), the first found in the passage wins.
 */
export function openEvidence(c, quotes, { opener = null, onFlag = null } = {}) {
  returnFocus = opener;
  clear(body);
  document.getElementById("evidence-title").textContent = `Evidence [${c.number}]`;
  let span = null;
  for (const q of quotes) {
    span = locate(c.text, q);
    if (span) break;
  }
  const linkItems = links(c).map((l) =>
    h("a", { href: l.href, target: "_blank", rel: "noopener noreferrer" }, l.label),
  );
  appendAll(
    body,
    h("h3", { class: "doc-title" }, c.title || c.doc_id),
    c.superseded
      ? h(
          "p",
          { class: "badge superseded", role: "note" },
          "Superseded edition: a newer edition of this guideline is indexed.",
        )
      : null,
    h(
      "dl",
      { class: "provenance" },
      row("Section", section(c) || null),
      row("Page", c.page ?? null),
      row("Organisation", c.organisation),
      row("Journal", c.journal),
      row("Year", c.year ?? null),
      row("Version", c.version),
      row("Document type", docTypeLabel(c.doc_type)),
      row("Evidence", strengthText(c.evidence)),
      row("As stated", c.evidence && c.evidence.label ? c.evidence.label : null),
      row("Document id", c.doc_id),
      linkItems.length ? [h("dt", {}, "Link"), h("dd", { class: "links" }, linkItems)] : null,
    ),
    h("h4", {}, "Passage"),
    h("blockquote", { class: "passage" }, renderMarkdownish(c.text, span ? span[0] : -1, span ? span[1] : -1)),
    span ? null : h("p", { class: "muted" }, "The quoted sentence is not an exact part of this passage."),
    onFlag
      ? h("button", { type: "button", class: "secondary", onclick: () => onFlag(c) }, "Flag this citation as wrong")
      : null,
  );
  panel.hidden = false;
  document.body.classList.add("panel-open");
  const mark = body.querySelector("mark");
  if (mark) mark.scrollIntoView({ block: "nearest" });
  document.getElementById("evidence-close").focus();
}
