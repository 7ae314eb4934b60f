// The conversation: asking, the streamed answer with citation chips, verdicts, abstentions and retries.
import { ApiError, askStream } from "./api.js";
import { answerAsText } from "./cite.js";
import { currencyLine } from "./currency.js";
import { strengthLine } from "./strength.js";
import { clear, h, plainText, renderInline } from "./dom.js";
import { openEvidence } from "./evidence.js";
import { openFeedback, sendFeedback } from "./feedback.js";
import { currentFilters, describeFilters } from "./filters.js";
import * as store from "./store.js";

const ABSTAIN_WORDS = {
  no_evidence: "Nothing in the indexed documents is relevant enough to answer this question.",
  insufficient_support:
    "Relevant passages were found, but none supports an answer well enough to state one.",
  out_of_scope: "This question is outside what the indexed documents cover.",
  conflicting_evidence: "The indexed documents disagree on this, so no single answer is given.",
};
const VERDICT_WORDS = { supported: "Supported", partial: "Partly supported", unsupported: "Unsupported" };
const MARKERS = /\[(\d{1,3})\]/g;
const BULLET_START = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+/;

let messages;
let conversation = store.create();
let busy = false;
let tipCounter = 0;

export function initChat() {
  messages = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("question");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  document.getElementById("new-conversation").addEventListener("click", () => {
    conversation = store.create();
    store.setCurrent(null);
    renderConversation();
    input.focus();
  });
  const saved = store.currentId();
  if (saved) conversation = store.get(saved);
  renderConversation();
}

/** The sidebar list of stored conversations. */
function renderConversationList() {
  const list = clear(document.getElementById("conversations"));
  for (const c of store.list()) {
    const button = h(
      "button",
      {
        type: "button",
        class: "conversation",
        "aria-current": c.id === conversation.id ? "true" : null,
        onclick: () => {
          conversation = store.get(c.id);
          store.setCurrent(c.id);
          renderConversation();
        },
      },
      c.title || "Untitled",
    );
    list.append(h("li", {}, button));
  }
  if (!store.list().length) list.append(h("li", { class: "muted" }, "No conversations yet."));
}

function renderConversation() {
  clear(messages);
  for (const turn of conversation.turns) {
    const block = appendQuestion(turn.question, turn.filters);
    renderFinal(block, turn);
  }
  if (!conversation.turns.length) {
    messages.append(
      h(
        "p",
        { class: "empty muted" },
        "Ask a clinical question. Answers come only from the indexed documents, each sentence cited and checked.",
      ),
    );
  }
  renderConversationList();
}

function appendQuestion(question, filters) {
  messages.querySelector(".empty")?.remove();
  const filterText = describeFilters(filters);
  messages.append(
    h(
      "div",
      { class: "turn-question" },
      h("p", { class: "bubble" }, question),
      filterText ? h("p", { class: "muted filters-used" }, `Filters: ${filterText}`) : null,
    ),
  );
  const block = h("article", { class: "turn-answer", "aria-label": "Answer" });
  messages.append(block);
  return block;
}

function setBusy(value) {
  busy = value;
  document.getElementById("send").disabled = value;
  document.getElementById("composer").setAttribute("aria-busy", value ? "true" : "false");
}

/** Chips for the [n] markers of a text, with the text in between rendered as inline markdown. */
function withChips(text, lookup, sentenceIndex) {
  const frag = document.createDocumentFragment();
  let last = 0;
  let m;
  MARKERS.lastIndex = 0;
  const pieces = [];
  while ((m = MARKERS.exec(text)) !== null) {
    pieces.push([text.slice(last, m.index), Number(m[1])]);
    last = m.index + m[0].length;
  }
  pieces.push([text.slice(last), null]);
  pieces.forEach(([before, n], i) => {
    const shown = i === 0 ? before.replace(BULLET_START, "") : before;
    frag.append(renderInline(shown.replace(/\s+$/, n !== null ? "" : " ").replace(/^\s+/, i === 0 ? "" : " ")));
    if (n !== null) frag.append(chip(n, lookup, sentenceIndex));
  });
  return frag;
}

function chip(n, lookup, sentenceIndex) {
  const button = h(
    "button",
    { type: "button", class: "chip", dataset: { n: String(n) }, "aria-label": `Citation ${n}` },
    `${n}`,
  );
  button.addEventListener("click", () => {
    const { citations, sentences, turn } = lookup();
    const c = citations.find((x) => x.number === n);
    if (!c) return;
    const s = sentences && sentences[sentenceIndex];
    const quotes = s ? [s.evidence_sentence, s.text].filter(Boolean) : [];
    openEvidence(c, quotes, {
      opener: button,
      onFlag: turn ? (cit) => openFeedback(turn, { kind: "citation", citation: cit.number }) : null,
    });
  });
  const c = lookup().citations.find((x) => x.number === n);
  if (c) button.setAttribute("aria-label", `Citation ${n}: ${plainText(c.title)}`);
  return button;
}

function abstention(reason) {
  const code = reason ? reason.code : "no_evidence";
  return h(
    "div",
    { class: "abstention", role: "status" },
    h("p", { class: "abstention-title" }, "No answer given"),
    h("p", {}, ABSTAIN_WORDS[code] || "The service did not answer this question."),
    reason && reason.message && reason.message !== ABSTAIN_WORDS[code] ? h("p", { class: "muted" }, reason.message) : null,
    h("p", { class: "muted code" }, `Reason code: ${code}`),
  );
}

function verdictBadge(s) {
  const id = `tip-${++tipCounter}`;
  const why = [
    `${VERDICT_WORDS[s.verdict]} (support score ${Number(s.score).toFixed(2)}).`,
    ...(s.reasons || []).map((r) => `${r.charAt(0).toUpperCase()}${r.slice(1)}.`),
  ].join(" ");
  return h(
    "span",
    { class: "verdict-wrap" },
    h(
      "span",
      { class: `verdict v-${s.verdict}`, tabindex: "0", "aria-describedby": id, dataset: { verdict: s.verdict } },
      h("span", { "aria-hidden": "true" }, s.verdict === "supported" ? "✓" : s.verdict === "partial" ? "≈" : "✗"),
      h("span", { class: "verdict-word" }, VERDICT_WORDS[s.verdict]),
    ),
    h("span", { class: "tip", role: "tooltip", id }, why),
  );
}

/** The complete answer: one span per sentence with its chips and verdict, then the actions. */
function renderFinal(block, turn) {
  clear(block);
  const r = turn.response;
  const lookup = () => ({ citations: r.citations, sentences: r.sentences, turn });
  if (r.abstained) {
    block.append(abstention(r.abstain_reason));
  } else {
    const text = h("div", { class: "answer-text" });
    r.sentences.forEach((s, i) => {
      const marked = s.citations.length ? withMarkers(s.text, s.citations) : s.text;
      text.append(
        h(
          "span",
          { class: `sentence s-${s.verdict}${BULLET_START.test(s.text) ? " bullet" : ""}`, dataset: { index: String(i) } },
          withChips(marked, lookup, i),
          " ",
          verdictBadge(s),
          " ",
        ),
      );
    });
    block.append(text);
    const currency = currencyLine(r.currency);
    if (currency) block.append(currency);
    const strength = strengthLine(r.citations, new Set(r.sentences.flatMap((s) => s.citations)));
    if (strength) block.append(strength);
  }
  block.append(
    h(
      "details",
      { class: "query" },
      h("summary", {}, "Searched for"),
      h("p", {}, r.query),
    ),
    actions(turn),
  );
}

function withMarkers(text, numbers) {
  const marks = numbers.map((n) => `[${n}]`).join("");
  const last = text.slice(-1);
  return ".!?;:".includes(last) && text ? `${text.slice(0, -1)} ${marks}${last}` : `${text} ${marks}`;
}

function actions(turn) {
  const status = h("span", { class: "action-status", role: "status" });
  const rate = (rating) => async () => {
    status.textContent = "Sending…";
    try {
      await sendFeedback(turn, { kind: "answer", rating });
      status.textContent = rating === "helpful" ? "Thanks: rated helpful." : "Thanks: rated not helpful.";
    } catch (err) {
      status.textContent = `Not sent: ${err.message}`;
    }
  };
  return h(
    "div",
    { class: "actions" },
    h(
      "button",
      {
        type: "button",
        class: "secondary copy",
        onclick: async () => {
          const ok = await copyText(answerAsText(turn.question, turn.response));
          status.textContent = ok ? "Copied with references." : "Copy failed: select the text instead.";
        },
      },
      "Copy with references",
    ),
    h("button", { type: "button", class: "secondary rate-helpful", onclick: rate("helpful") }, "Helpful"),
    h("button", { type: "button", class: "secondary rate-not-helpful", onclick: rate("not_helpful") }, "Not helpful"),
    h(
      "button",
      {
        type: "button",
        class: "secondary flag",
        onclick: () =>
          openFeedback(turn, {
            kind: turn.response.citations.length ? "sentence" : "answer",
            onSent: (msg) => (status.textContent = msg),
          }),
      },
      "Flag a problem…",
    ),
    status,
  );
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** Ask a question in the current conversation, streaming the answer into a new block. */
export async function ask(question, block = null) {
  const filters = currentFilters();
  const history = store.history(conversation);
  block = block || appendQuestion(question, filters);
  clear(block);
  const live = { citations: [], sentences: null, deltas: 0 };
  const lookup = () => ({ citations: live.citations, sentences: live.sentences, turn: null });
  const text = h("div", { class: "answer-text streaming", "aria-live": "polite" });
  const progress = h("p", { class: "muted progress" }, "Searching the documents…");
  block.append(text, progress);
  setBusy(true);
  try {
    const response = await askStream({ question, filters, history }, (name, data) => {
      if (name === "delta") {
        progress.textContent = "Answering…";
        text.append(h("span", { class: "sentence pending" }, withChips(data.text, lookup, live.deltas)), " ");
        live.deltas += 1;
      } else if (name === "abstain") {
        text.append(abstention(data));
      } else if (name === "citations") {
        live.citations = data;
      } else if (name === "sentences") {
        live.sentences = data;
      }
    });
    const turn = { question, filters, response, asked_at: new Date().toISOString() };
    store.addTurn(conversation, turn);
    renderFinal(block, turn);
    renderConversationList();
  } catch (err) {
    progress.remove();
    text.classList.remove("streaming");
    if (text.childNodes.length) text.classList.add("incomplete");
    const why = err instanceof ApiError ? err.message : "Something went wrong while answering.";
    block.append(
      h(
        "div",
        { class: "error", role: "alert" },
        h("p", {}, text.childNodes.length ? `Incomplete answer. ${why}` : why),
        h(
          "button",
          { type: "button", class: "retry", onclick: () => ask(question, block) },
          "Retry",
        ),
      ),
    );
  } finally {
    setBusy(false);
  }
}
