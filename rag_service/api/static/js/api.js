// Calls to the service. Every failure becomes an ApiError with a message fit to show. Every call carries the
// API key entered in the key prompt; a 401 opens the prompt.
import { askForKey, withKey } from "./auth.js";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "unreachable", retry = true } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.retry = retry;
  }
}

async function errorFrom(response) {
  let code = `http_${response.status}`;
  let message = `The service answered ${response.status} ${response.statusText}.`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // Not the JSON error envelope (a proxy's page, a cut connection): keep the status line.
  }
  return new ApiError(message, { status: response.status, code, retry: response.status >= 500 });
}

/** fetch() that turns a refused connection or an error status into an ApiError. */
export async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: withKey(options.headers || {}) });
  } catch {
    throw new ApiError("The service cannot be reached. Check that it is running, then retry.");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) askForKey(error.message);
    throw error;
  }
  return response;
}

export async function getJSON(path) {
  return (await request(path, { headers: { Accept: "application/json" } })).json();
}

export async function sendJSON(method, path, body) {
  const response = await request(path, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status === 204 ? null : response.json();
}

/** Parse one SSE block ("event: x\ndata: {...}") into [name, data]. */
function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return [name, data.length ? JSON.parse(data.join("\n")) : null];
}

/**
 * POST /v1/ask with stream=true and call ``onEvent(name, data)`` for each Server-Sent Event as it arrives.
 * Resolves with the complete response of the ``done`` event; a stream that ends without one rejects, so an
 * answer is never taken for complete when it was cut.
 */
export async function askStream(body, onEvent, signal) {
  const response = await request("/v1/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let done = null;
  try {
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!block.trim()) continue;
        const [name, data] = parseEvent(block);
        if (name === "done") done = data;
        onEvent(name, data);
      }
    }
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError("The connection broke while the answer was arriving. What arrived is incomplete.", {
      code: "stream_broken",
    });
  }
  if (!done) {
    throw new ApiError("The answer stopped before it was complete. What arrived is incomplete.", {
      code: "stream_incomplete",
    });
  }
  return done;
}

/**
 * Upload one file to POST /v1/documents, reporting progress (0..1) as it is sent; resolves with the
 * per-file result the service gives for it.
 */
export function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/documents");
    xhr.responseType = "json";
    for (const [name, value] of Object.entries(withKey({ Accept: "application/json" }))) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && body && Array.isArray(body.files)) {
        resolve(body.files[0] || { filename: file.name, status: "failed", error: "no result for this file" });
      } else {
        if (xhr.status === 401) askForKey(body && body.error && body.error.message);
        const message =
          (body && body.error && body.error.message) || `The service answered ${xhr.status} ${xhr.statusText}.`;
        resolve({ filename: file.name, status: "failed", error: message, doc_ids: [], passages: 0 });
      }
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError("The service cannot be reached. Check that it is running, then retry.")),
    );
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}
