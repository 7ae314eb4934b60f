// Provenance formatting shared by the evidence panel and the plain-text copy.
import { plainText } from "./dom.js";

/** Only http(s) links are ever made clickable: a document's "url" of javascript:... stays text. */
export function safeHttpUrl(value) {
  if (!value) return null;
  try {
    const url = new URL(String(value), window.location.origin);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The links a citation can carry, most specific first: [{label, href}]. */
export function links(c) {
  const out = [];
  if (c.pmid && /^\d{1,9}$/.test(String(c.pmid))) {
    out.push({ label: `PMID ${c.pmid}`, href: `https://pubmed.ncbi.nlm.nih.gov/${c.pmid}/` });
  }
  if (c.doi && /^10\.\S+$/.test(String(c.doi))) {
    out.push({ label: `DOI ${c.doi}`, href: `https://doi.org/${encodeURI(String(c.doi))}` });
  }
  const url = safeHttpUrl(c.url);
  if (url) out.push({ label: url, href: url });
  return out;
}

export function section(c) {
  const path = Array.isArray(c.heading_path) ? c.heading_path.filter((p) => p && p !== c.title) : [];
  return path.join(" > ");
}

/** One reference line: "[n] Title. Organisation, year (version ...). Section: ... Page p. PMID: ... DOI: ..." */
export function referenceLine(c) {
  const parts = [`[${c.number}] ${plainText(c.title || c.doc_id)}.`];
  const who = c.organisation || c.journal;
  const when = [c.year, c.version && String(c.version) !== String(c.year) ? `version ${c.version}` : null]
    .filter(Boolean)
    .join(", ");
  if (who || when) parts.push(`${[who, when].filter(Boolean).join(", ")}.`);
  if (c.superseded) parts.push("Superseded edition.");
  const sec = section(c);
  if (sec) parts.push(`Section: ${plainText(sec)}.`);
  if (c.page !== null && c.page !== undefined) parts.push(`Page ${c.page}.`);
  if (c.pmid) parts.push(`PMID: ${c.pmid}.`);
  if (c.doi) parts.push(`DOI: ${c.doi}.`);
  const url = safeHttpUrl(c.url);
  if (url) parts.push(url);
  return parts.join(" ");
}

/** An answer as plain text for a clinical note: the text with [n] markers, then the numbered references. */
export function answerAsText(question, response) {
  if (response.abstained) {
    const reason = response.abstain_reason ? response.abstain_reason.message : "no answer";
    return `Question: ${question}\nNo answer: ${reason}\n`;
  }
  const body = response.answer
    .split("\n")
    .map((line) => plainText(line).trim())
    .filter(Boolean)
    .join("\n");
  const refs = response.citations.map(referenceLine);
  return `${body}\n\nReferences\n${refs.join("\n")}\n`;
}
