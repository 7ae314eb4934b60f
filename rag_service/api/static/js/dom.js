// DOM building helpers. Every piece of text from documents, answers or feedback goes through text nodes:
// nothing here (or anywhere in the page) assigns HTML strings.

/**
 * Build an element: h("button", {class: "x", onclick: fn, "aria-label": "y"}, "text", child, ...).
 * Attributes named on* become listeners; everything else is set with setAttribute. Children that are strings
 * become text nodes; null/undefined/false children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children to an element, skipping null, undefined and false (the DOM's own append prints "null"). */
export function appendAll(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Remove every child of an element. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const BULLET = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+/;

/** Strip inline markdown emphasis and a leading list bullet, leaving plain words (for copies and titles). */
export function plainText(text) {
  return String(text)
    .split("\n")
    .map((line) => line.replace(BULLET, "").replace(/\*\*(\S(?:.*?\S)?)\*\*/g, "$1"))
    .join("\n");
}

/**
 * Split one line into runs [{text, start, bold}] where start is the offset in ``source`` of the run's first
 * character; **bold** pairs become bold runs and the markers themselves are dropped. (Underscores are left
 * alone: they are common in identifiers and doses.)
 */
function inlineRuns(line, offset) {
  const runs = [];
  const pattern = /(\*\*)(\S(?:.*?\S)?)\*\*/g;
  let last = 0;
  let m;
  while ((m = pattern.exec(line)) !== null) {
    if (m.index > last) runs.push({ text: line.slice(last, m.index), start: offset + last, bold: false });
    runs.push({ text: m[2], start: offset + m.index + m[1].length, bold: true });
    last = m.index + m[0].length;
  }
  if (last < line.length) runs.push({ text: line.slice(last), start: offset + last, bold: false });
  return runs;
}

/** Render runs into a parent, wrapping the parts that fall inside [hlStart, hlEnd) in <mark>. */
function renderRuns(parent, runs, hlStart, hlEnd) {
  for (const run of runs) {
    const end = run.start + run.text.length;
    const pieces = [];
    if (hlStart < end && hlEnd > run.start) {
      const a = Math.max(hlStart, run.start) - run.start;
      const b = Math.min(hlEnd, end) - run.start;
      if (a > 0) pieces.push([run.text.slice(0, a), false]);
      pieces.push([run.text.slice(a, b), true]);
      if (b < run.text.length) pieces.push([run.text.slice(b), false]);
    } else {
      pieces.push([run.text, false]);
    }
    for (const [text, marked] of pieces) {
      let node = document.createTextNode(text);
      if (run.bold) node = h("strong", {}, node);
      if (marked) node = h("mark", { class: "quote" }, node);
      parent.append(node);
    }
  }
}

/**
 * Render text that may hold light markdown (bold, list bullets, blank-line paragraphs) as DOM: bullets become
 * list items, ** pairs become <strong>, and the characters in [hlStart, hlEnd) of the source are marked.
 */
export function renderMarkdownish(text, hlStart = -1, hlEnd = -1) {
  const frag = document.createDocumentFragment();
  const source = String(text);
  let list = null;
  let para = null;
  let offset = 0;
  for (const line of source.split("\n")) {
    const lineStart = offset;
    offset += line.length + 1;
    if (!line.trim()) {
      list = null;
      para = null;
      continue;
    }
    const bullet = line.match(BULLET);
    if (bullet) {
      para = null;
      if (!list) {
        list = h(/^\s*\d/.test(bullet[0]) ? "ol" : "ul");
        frag.append(list);
      }
      const li = h("li");
      renderRuns(li, inlineRuns(line.slice(bullet[0].length), lineStart + bullet[0].length), hlStart, hlEnd);
      list.append(li);
      continue;
    }
    list = null;
    if (!para) {
      para = h("p");
      frag.append(para);
    } else {
      para.append(" ");
    }
    renderRuns(para, inlineRuns(line, lineStart), hlStart, hlEnd);
  }
  return frag;
}

/** Render inline markdown of one answer sentence (no block structure): bullets dropped, bold kept. */
export function renderInline(text) {
  const frag = document.createDocumentFragment();
  const line = String(text).replace(/\n+/g, " ").replace(BULLET, "");
  renderRuns(frag, inlineRuns(line, 0), -1, -1);
  return frag;
}

/**
 * Where ``needle`` occurs in ``hay``, ignoring differences of whitespace and of markdown markers; returns
 * [start, end) offsets in ``hay`` or null.
 */
export function locate(hay, needle) {
  if (!needle) return null;
  const keep = [];
  let norm = "";
  for (let i = 0; i < hay.length; i++) {
    const c = hay[i];
    if (c === "*") continue;
    if (/\s/.test(c)) {
      if (norm.endsWith(" ") || norm === "") continue;
      norm += " ";
    } else {
      norm += c.toLowerCase();
    }
    keep.push(i);
  }
  const target = plainText(needle).replace(/\*/g, "").replace(/\s+/g, " ").trim().toLowerCase();
  if (!target) return null;
  const at = norm.indexOf(target);
  if (at < 0) return null;
  return [keep[at], keep[at + target.length - 1] + 1];
}

/** Format a number of bytes for people. */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
