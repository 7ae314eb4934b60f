// The Documents view: list with search and paging, uploads with per-file progress, deletion after confirming.
import { getJSON, request, uploadFile } from "./api.js";
import { clear, formatBytes, h } from "./dom.js";
import { docTypeLabel } from "./evidence.js";
import { loadFacets } from "./filters.js";

const PAGE = 20;
let offset = 0;
let query = "";
let pendingDelete = null;

export function initDocuments() {
  document.getElementById("doc-search").addEventListener("submit", (e) => {
    e.preventDefault();
    query = document.getElementById("doc-query").value.trim();
    offset = 0;
    loadDocuments();
  });
  document.getElementById("doc-prev").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    loadDocuments();
  });
  document.getElementById("doc-next").addEventListener("click", () => {
    offset += PAGE;
    loadDocuments();
  });
  document.getElementById("upload").addEventListener("submit", (e) => {
    e.preventDefault();
    upload();
  });
  const confirm = document.getElementById("confirm-delete");
  document.getElementById("confirm-cancel").addEventListener("click", () => confirm.close());
  document.getElementById("confirm-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const doc = pendingDelete;
    confirm.close();
    if (doc) await remove(doc);
  });
}

function status(text) {
  document.getElementById("doc-status").textContent = text;
}

/** Load the current page of documents (search text goes to the service as ``q``). */
export async function loadDocuments() {
  const body = document.getElementById("doc-rows");
  status("Loading documents…");
  const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
  if (query) params.set("q", query);
  let page;
  try {
    page = await getJSON(`/v1/documents?${params}`);
  } catch (err) {
    clear(body);
    clear(document.getElementById("doc-status")).append(
      `Documents unavailable: ${err.message} `,
      h("button", { type: "button", class: "link", onclick: loadDocuments }, "Retry"),
    );
    return;
  }
  clear(body);
  for (const d of page.items) {
    const superseded = d.superseded === true;
    body.append(
      h(
        "tr",
        { dataset: { docId: d.doc_id } },
        h("th", { scope: "row" }, h("span", { class: "doc-title" }, d.title), h("span", { class: "muted doc-id" }, d.doc_id)),
        h("td", {}, docTypeLabel(d.doc_type)),
        h("td", {}, d.organisation || d.journal || "—"),
        h("td", {}, d.year ?? "—"),
        h("td", {}, d.version || "—"),
        h("td", { class: "num" }, String(d.chunk_count)),
        h("td", {}, superseded ? h("span", { class: "badge superseded" }, "Superseded") : d.superseded === false ? "Current" : "—"),
        h(
          "td",
          {},
          h(
            "button",
            {
              type: "button",
              class: "danger delete",
              "aria-label": `Delete ${d.title}`,
              onclick: () => confirmDelete(d),
            },
            "Delete",
          ),
        ),
      ),
    );
  }
  if (!page.items.length) {
    body.append(h("tr", {}, h("td", { colspan: "8", class: "muted" }, query ? "No document matches." : "No documents.")));
  }
  const last = Math.min(page.offset + page.items.length, page.total);
  status(page.total ? `Documents ${page.offset + 1}–${last} of ${page.total}.` : "No documents.");
  document.getElementById("doc-prev").disabled = page.offset === 0;
  document.getElementById("doc-next").disabled = last >= page.total;
}

function confirmDelete(doc) {
  pendingDelete = doc;
  document.getElementById("confirm-text").textContent =
    `Delete "${doc.title}" (${doc.doc_id}) and its ${doc.chunk_count} passages from the index? This cannot be undone.`;
  document.getElementById("confirm-delete").showModal();
}

async function remove(doc) {
  status(`Deleting ${doc.title}…`);
  try {
    await request(`/v1/documents/${encodeURIComponent(doc.doc_id)}`, { method: "DELETE" });
    status(`Deleted ${doc.title}.`);
    await loadDocuments();
    status(`Deleted ${doc.title}.`);
    loadFacets();
  } catch (err) {
    status(`Not deleted: ${err.message}`);
  }
}

/** Upload the chosen files one request each, so every file has its own progress bar and message. */
async function upload() {
  const input = document.getElementById("upload-files");
  const files = [...input.files];
  const list = clear(document.getElementById("upload-results"));
  if (!files.length) {
    list.append(h("li", { class: "error-text" }, "Choose one or more files first."));
    return;
  }
  const button = document.getElementById("upload-send");
  button.disabled = true;
  for (const file of files) {
    const bar = h("progress", { max: "1", value: "0", "aria-label": `Upload progress of ${file.name}` });
    const message = h("span", { class: "file-status" }, "Waiting…");
    const item = h(
      "li",
      { class: "upload-item", dataset: { filename: file.name } },
      h("span", { class: "file-name" }, `${file.name} (${formatBytes(file.size)})`),
      bar,
      message,
    );
    list.append(item);
    message.textContent = "Uploading…";
    try {
      const result = await uploadFile(file, (p) => {
        bar.value = p;
        if (p >= 1) message.textContent = "Indexing…";
      });
      bar.value = 1;
      item.dataset.status = result.status;
      if (result.status === "failed") {
        item.classList.add("failed");
        message.textContent = `Failed: ${result.error || "the file could not be read"}`;
      } else if (result.status === "unchanged") {
        message.textContent = "Already indexed, unchanged.";
      } else {
        message.textContent = `Indexed: ${result.passages} passages.`;
      }
    } catch (err) {
      item.dataset.status = "failed";
      item.classList.add("failed");
      message.textContent = `Failed: ${err.message}`;
    }
  }
  button.disabled = false;
  input.value = "";
  await loadDocuments();
  loadFacets();
}
