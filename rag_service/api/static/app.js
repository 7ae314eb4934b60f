// Entry point of the chat page: wires the views together. No build step; plain ES modules.
import { initKeyPrompt } from "./js/auth.js";
import { initChat } from "./js/chat.js";
import { initDocuments, loadDocuments } from "./js/documents.js";
import { initEvidence } from "./js/evidence.js";
import { initFeedback } from "./js/feedback.js";
import { initFilters } from "./js/filters.js";

function showView() {
  const view = window.location.hash === "#documents" ? "documents" : "chat";
  for (const section of document.querySelectorAll("[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll("nav a[data-target]")) {
    if (link.dataset.target === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "documents") loadDocuments();
}

initKeyPrompt();
initEvidence();
initFeedback();
initFilters();
initChat();
initDocuments();
window.addEventListener("hashchange", showView);
showView();
document.body.dataset.ready = "true";
