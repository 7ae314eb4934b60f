// The API key this page sends. It is kept in this tab's sessionStorage only: gone when the tab closes, never
// in localStorage or a cookie. A 401 from any call opens the key prompt; "Forget key" removes it.

const STORAGE = "rag.apiKey";
let dialog;

export function currentKey() {
  try {
    return sessionStorage.getItem(STORAGE) || "";
  } catch {
    return "";
  }
}

/** ``headers`` plus the Authorization header when a key has been entered. */
export function withKey(headers = {}) {
  const key = currentKey();
  return key ? { ...headers, Authorization: `Bearer ${key}` } : headers;
}

/** Show the key prompt (after a 401); ``message`` says why. */
export function askForKey(message) {
  if (!dialog) return;
  const error = document.getElementById("key-error");
  error.textContent = currentKey() ? message || "The stored key was not accepted." : "";
  if (!dialog.open) dialog.showModal();
  document.getElementById("key-input").focus();
}

async function accepted(key) {
  // GET /v1/models needs the lowest role, so any valid key passes and nothing is changed.
  const response = await fetch("/v1/models", {
    headers: { Accept: "application/json", Authorization: `Bearer ${key}` },
  });
  return response.status !== 401;
}

export function initKeyPrompt() {
  dialog = document.getElementById("key-dialog");
  const form = document.getElementById("key-form");
  const input = document.getElementById("key-input");
  const error = document.getElementById("key-error");
  const forget = document.getElementById("forget-key");
  forget.hidden = !currentKey();
  forget.addEventListener("click", () => {
    sessionStorage.removeItem(STORAGE);
    window.location.reload();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    error.textContent = "";
    let ok;
    try {
      ok = await accepted(key);
    } catch {
      error.textContent = "The service cannot be reached. Check that it is running, then retry.";
      return;
    }
    if (!ok) {
      error.textContent = "That key was not accepted: it is unknown or has been revoked.";
      input.select();
      return;
    }
    sessionStorage.setItem(STORAGE, key);
    input.value = "";
    // Start over with the key, so every view loads what the first attempt could not.
    window.location.reload();
  });
}
