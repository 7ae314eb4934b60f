// Filters applied before asking: document type, organisation and year range, fed from GET /v1/facets.
import { getJSON } from "./api.js";
import { clear, h } from "./dom.js";
import { docTypeLabel } from "./evidence.js";

let form;

function checkboxes(container, name, values, label) {
  clear(container);
  if (!values.length) {
    container.append(h("p", { class: "muted" }, "None indexed."));
    return;
  }
  values.forEach((v, i) => {
    const id = `f-${name}-${i}`;
    container.append(
      h(
        "div",
        { class: "check" },
        h("input", { type: "checkbox", id, name, value: v.value }),
        h("label", { for: id }, `${label(v.value)} (${v.count})`),
      ),
    );
  });
}

/** Load the facets; a failure leaves the filters empty with a note and a retry. */
export async function loadFacets() {
  form = document.getElementById("filters");
  const status = document.getElementById("filters-status");
  status.textContent = "Loading filters…";
  try {
    const facets = await getJSON("/v1/facets");
    checkboxes(document.getElementById("f-doc-types"), "doc_types", facets.doc_types || [], docTypeLabel);
    checkboxes(document.getElementById("f-organisations"), "organisations", facets.organisations || [], String);
    const years = facets.years || {};
    for (const input of [form.elements.year_min, form.elements.year_max]) {
      if (years.min) input.min = years.min;
      if (years.max) input.max = years.max;
    }
    form.elements.year_min.placeholder = years.min ? String(years.min) : "";
    form.elements.year_max.placeholder = years.max ? String(years.max) : "";
    status.textContent = `${facets.documents} documents indexed.`;
  } catch (err) {
    clear(status).append(
      `Filters unavailable: ${err.message} `,
      h("button", { type: "button", class: "link", onclick: loadFacets }, "Retry"),
    );
  }
}

export function initFilters() {
  form = document.getElementById("filters");
  form.addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("filters-clear").addEventListener("click", () => form.reset());
  loadFacets();
}

function checked(name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function year(input) {
  const n = Number.parseInt(input.value, 10);
  return Number.isFinite(n) && n >= 1800 && n <= 2200 ? n : null;
}

/** The filters as the API takes them, or null when none is set. */
export function currentFilters() {
  if (!form) return null;
  const filters = {};
  const docTypes = checked("doc_types");
  const orgs = checked("organisations");
  if (docTypes.length) filters.doc_types = docTypes;
  if (orgs.length) filters.organisations = orgs;
  let lo = year(form.elements.year_min);
  let hi = year(form.elements.year_max);
  if (lo !== null && hi !== null && lo > hi) [lo, hi] = [hi, lo];
  if (lo !== null) filters.year_min = lo;
  if (hi !== null) filters.year_max = hi;
  if (form.elements.include_superseded.checked) filters.include_superseded = true;
  return Object.keys(filters).length ? filters : null;
}

/** A short description of filters for the question bubble. */
export function describeFilters(filters) {
  if (!filters) return "";
  const parts = [];
  if (filters.doc_types) parts.push(filters.doc_types.map(docTypeLabel).join(", "));
  if (filters.organisations) parts.push(filters.organisations.join(", "));
  if (filters.year_min || filters.year_max) parts.push(`${filters.year_min || "…"}–${filters.year_max || "…"}`);
  if (filters.include_superseded) parts.push("superseded editions included");
  return parts.join("; ");
}
