// The server's API token (POPCON_API_TOKEN), asked once: the page sends it as a bearer header and the
// server answers with an HttpOnly cookie that every later request (fetch, images, events) carries.
import { h, msg } from "./ui.js";
import { setText } from "./i18n.js";

const AUTH = "/api/v1/auth";

export async function ensureSignedIn(root) {
  let state = null;
  try {
    state = await (await fetch(AUTH, { headers: { Accept: "application/json" } })).json();
  } catch (_) {
    return; // a server that is down is reported by the page itself
  }
  if (!state || !state.required || state.authenticated) return;
  await new Promise((resolve) => {
    const input = h("input", { type: "password", id: "api-token", name: "token", autocomplete: "current-password", required: true });
    const note = h("p", { class: "field-error", id: "api-token-error", role: "alert" });
    const form = h("form", { class: "panel", id: "sign-in" },
      h("h1", {}, msg("auth.title")),
      h("p", {}, msg("auth.body")),
      h("label", { for: "api-token" }, msg("auth.label")), input, note,
      h("button", { class: "btn primary", type: "submit" }, msg("auth.submit")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const res = await fetch(AUTH, { method: "POST", headers: { Authorization: `Bearer ${input.value.trim()}` } });
      if (res.ok) {
        resolve();
        return;
      }
      setText(note, msg("auth.wrong"));
      input.setAttribute("aria-describedby", "api-token-error");
      input.focus();
    });
    root.innerHTML = "";
    root.append(h("div", { class: "wrap" }, form));
    input.focus();
  });
}
