// Feedback on an answer: a quick rating, or a flag on one citation or one sentence with a comment.
import { sendJSON } from "./api.js";
import { clear, h, plainText } from "./dom.js";

let dialog;
let current = null;

/** POST /v1/feedback for a turn ({question, response}). */
export function sendFeedback(turn, { kind, rating = null, citation = null, sentence = null, comment = null }) {
  const r = turn.response;
  return sendJSON("POST", "/v1/feedback", {
    kind,
    rating,
    citation,
    sentence,
    comment: comment || null,
    question: turn.question,
    answer: r.answer,
    citations: r.citations,
    provenance: r.provenance,
  });
}

export function initFeedback() {
  dialog = document.getElementById("feedback");
  const form = document.getElementById("feedback-form");
  document.getElementById("fb-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("change", syncKind);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!current) return;
    const kind = form.elements.kind.value;
    const status = document.getElementById("fb-status");
    const send = document.getElementById("fb-send");
    send.disabled = true;
    status.textContent = "Sending…";
    try {
      await sendFeedback(current.turn, {
        kind,
        rating: kind === "answer" ? "not_helpful" : null,
        citation: kind === "citation" ? Number(form.elements.citation.value) : null,
        sentence: kind === "sentence" ? Number(form.elements.sentence.value) : null,
        comment: form.elements.comment.value.trim() || null,
      });
      const done = current.onSent;
      dialog.close();
      if (done) done("Thank you: your flag was recorded.");
    } catch (err) {
      status.textContent = `Not sent: ${err.message}`;
    } finally {
      send.disabled = false;
    }
  });
}

function syncKind() {
  const form = document.getElementById("feedback-form");
  const kind = form.elements.kind.value;
  form.elements.citation.disabled = kind !== "citation";
  form.elements.sentence.disabled = kind !== "sentence";
}

/** Open the flag dialog for a turn, preselecting a citation number or a 0-based sentence index. */
export function openFeedback(turn, { kind = "citation", citation = null, sentence = null, onSent = null } = {}) {
  current = { turn, onSent };
  const form = document.getElementById("feedback-form");
  const r = turn.response;
  const citationSelect = clear(form.elements.citation);
  for (const c of r.citations) {
    citationSelect.append(h("option", { value: c.number }, `[${c.number}] ${plainText(c.title).slice(0, 80)}`));
  }
  const sentenceSelect = clear(form.elements.sentence);
  r.sentences.forEach((s, i) => {
    sentenceSelect.append(h("option", { value: i }, `${i + 1}. ${plainText(s.text).slice(0, 90)}`));
  });
  if (citation !== null) citationSelect.value = String(citation);
  if (sentence !== null) sentenceSelect.value = String(sentence);
  const hasCitations = r.citations.length > 0;
  form.querySelector("#fb-kind-citation").disabled = !hasCitations;
  form.querySelector("#fb-kind-sentence").disabled = r.sentences.length === 0;
  const chosen = (kind === "citation" && !hasCitations) || (kind === "sentence" && !r.sentences.length) ? "answer" : kind;
  form.querySelector(`#fb-kind-${chosen}`).checked = true;
  form.elements.comment.value = "";
  document.getElementById("fb-status").textContent = "";
  syncKind();
  dialog.showModal();
}
