// How strong the evidence behind each citation is, in words, from the citation's normalised `evidence` object.
import { h } from "./dom.js";

const STRENGTH = { strong: "Strong", moderate: "Moderate", weak: "Weak" };
const CERTAINTY = { high: "high", moderate: "moderate", low: "low", very_low: "very low" };
const SYSTEMS = { grade: "GRADE", acc_aha: "ACC/AHA", nice: "NICE wording", uspstf: "USPSTF" };
const DESIGNS = {
  meta_analysis: "Meta-analysis",
  systematic_review: "Systematic review",
  randomised_trial: "Randomised trial",
  cohort: "Cohort study",
  case_control: "Case-control study",
  case_report: "Case report",
  narrative_review: "Narrative review",
};

/**
 * One citation's evidence in words ("Strong recommendation, moderate certainty (GRADE)", "Randomised trial"),
 * or null when nothing about it is known. A guideline's design alone says nothing beyond its document type.
 */
export function strengthText(e) {
  if (!e) return null;
  const parts = [];
  if (STRENGTH[e.strength]) parts.push(`${STRENGTH[e.strength]} recommendation`);
  if (CERTAINTY[e.certainty]) parts.push(`${parts.length ? "" : "Certainty: "}${CERTAINTY[e.certainty]} certainty`);
  let text = parts.join(", ");
  if (text && SYSTEMS[e.system]) text += ` (${SYSTEMS[e.system]})`;
  const design = DESIGNS[e.study_design];
  if (design) text = text ? `${design}; ${text}` : design;
  return text || null;
}

/** The line under an answer naming what is known of each citation's evidence, or null when nothing is. */
export function strengthLine(citations, cited) {
  const known = (citations || [])
    .filter((c) => cited.has(c.number))
    .map((c) => [c.number, strengthText(c.evidence), c.evidence && c.evidence.label])
    .filter(([, text]) => text);
  if (!known.length) return null;
  return h(
    "p",
    { class: "evidence-strength" },
    "Strength of evidence: ",
    ...known.flatMap(([n, text, label], i) => [
      i ? " · " : "",
      h("span", { class: "strength", dataset: { number: String(n) }, title: label || "" }, `[${n}] ${text}`),
    ]),
  );
}
