// How current the evidence behind an answer is: "Evidence from 2016–2021", flagged when all of it is old.
import { h } from "./dom.js";

function range(c) {
  if (c.oldest_year === null || c.oldest_year === undefined) return null;
  return c.oldest_year === c.newest_year ? `${c.newest_year}` : `${c.oldest_year}–${c.newest_year}`;
}

/** The currency line under an answer, or null when the response has none (abstentions, older answers). */
export function currencyLine(c) {
  if (!c) return null;
  const years = range(c);
  const undated = c.undated_citations
    ? `${c.undated_citations} cited document${c.undated_citations === 1 ? "" : "s"} without a year`
    : null;
  const text = years ? `Evidence from ${years}` : "Publication years of the evidence are not known";
  return h(
    "p",
    { class: `currency${c.stale ? " stale" : ""}`, dataset: { stale: String(c.stale) } },
    h("span", { class: "currency-range" }, undated && years ? `${text} (${undated}).` : `${text}.`),
    c.stale
      ? h(
          "strong",
          { class: "stale-flag", role: "note" },
          ` All of it is older than ${c.stale_after_years} years: check for newer guidance.`,
        )
      : null,
  );
}
