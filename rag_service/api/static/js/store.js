// Conversations kept in the browser's localStorage, so they survive a reload.

const KEY = "clinical-rag.conversations.v1";
const CURRENT = "clinical-rag.current.v1";
const MAX_CONVERSATIONS = 50;

function load() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

let conversations = load();

function save() {
  try {
    localStorage.setItem(KEY, JSON.stringify(conversations.slice(0, MAX_CONVERSATIONS)));
  } catch {
    // Storage full or disabled: the conversation still works, it just will not survive a reload.
  }
}

function newId() {
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export function list() {
  return conversations;
}

export function get(id) {
  return conversations.find((c) => c.id === id) || null;
}

export function currentId() {
  const id = localStorage.getItem(CURRENT);
  return id && get(id) ? id : null;
}

export function setCurrent(id) {
  if (id) localStorage.setItem(CURRENT, id);
  else localStorage.removeItem(CURRENT);
}

/** Start a conversation (kept only once it has a turn). */
export function create() {
  return { id: newId(), title: "", created_at: new Date().toISOString(), turns: [] };
}

/** Add a finished turn ({question, filters, response}) to a conversation, storing it first if new. */
export function addTurn(conversation, turn) {
  conversation.turns.push(turn);
  if (!conversation.title) conversation.title = turn.question.slice(0, 80);
  conversations = [conversation, ...conversations.filter((c) => c.id !== conversation.id)];
  save();
  setCurrent(conversation.id);
}

export function remove(id) {
  conversations = conversations.filter((c) => c.id !== id);
  save();
}

/** The earlier turns as the API's history: the question, then the answer text (or the abstention). */
export function history(conversation) {
  const turns = [];
  for (const t of conversation.turns.slice(-10)) {
    turns.push({ role: "user", content: t.question });
    const r = t.response;
    const content = r.abstained ? (r.abstain_reason && r.abstain_reason.message) || "" : r.answer;
    if (content) turns.push({ role: "assistant", content });
  }
  return turns;
}
