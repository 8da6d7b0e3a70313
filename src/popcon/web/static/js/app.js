// Client-side router: every page is one ES module exporting `render(root, params) -> cleanup?`.
import { ensureSignedIn } from "./auth.js";
import { errorMsg, initI18n, mountLanguageSelect } from "./i18n.js";
import { h, msg, showError } from "./ui.js";

const routes = [
  [/^\/(?:create)?\/?$/, "create", () => import("./views/create.js")],
  [/^\/jobs\/?$/, "jobs", () => import("./views/jobs.js")],
  [/^\/job\/([0-9a-f]{12})\/?$/, "job", () => import("./views/job.js")],
  [/^\/refine\/([0-9a-f]{12})\/?$/, "refine", () => import("./views/refine.js")],
  [/^\/results\/([0-9a-f]{12})\/?$/, "results", () => import("./views/results.js")],
];

let cleanup = null;

export function navigate(path, replace = false) {
  if (replace) history.replaceState({}, "", path);
  else history.pushState({}, "", path);
  render();
}

async function render() {
  const root = document.getElementById("view");
  if (cleanup) { try { cleanup(); } catch (_) { /* ignore */ } cleanup = null; }
  const path = location.pathname;
  const hit = routes.find(([re]) => re.test(path));
  document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", hit && a.dataset.nav === hit[1]));
  if (!hit) {
    document.body.dataset.page = "not-found";
    root.replaceChildren(h("div", { class: "wrap" }, h("div", { class: "panel empty", id: "not-found" },
      h("div", { class: "big-icon" }, "🧭"), h("h1", {}, msg("notfound.title")),
      h("p", { class: "msg" }, msg("notfound.body", { path })),
      h("a", { class: "btn primary", href: "/create", "data-link": "" }, msg("notfound.create")), " ",
      h("a", { class: "btn", href: "/jobs", "data-link": "" }, msg("nav.jobs")))));
    return;
  }
  const [re, name, load] = hit;
  const params = path.match(re).slice(1);
  document.body.dataset.page = name;
  try {
    const mod = await load();
    root.innerHTML = "";
    window.scrollTo(0, 0);
    cleanup = (await mod.render(root, ...params)) || null;
  } catch (err) {
    // A page that cannot load (unknown job, server down) says so instead of staying blank.
    root.replaceChildren(h("div", { class: "wrap" }, h("div", { class: "panel empty" },
      h("div", { class: "big-icon" }, "🙈"), h("p", { class: "msg" }, errorMsg(err)),
      h("a", { class: "btn primary", href: "/jobs", "data-link": "" }, msg("page.back_to_jobs")))));
    showError(err);
  }
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-link]");
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", render);
initI18n().then(() => {
  mountLanguageSelect(document.getElementById("lang-host"));
  return ensureSignedIn(document.getElementById("view"));
}).then(render);
