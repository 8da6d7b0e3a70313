// Client-side router: every page is one ES module exporting `render(root, params) -> cleanup?`.
import { ensureSignedIn } from "./auth.js";
import { showError } from "./ui.js";

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
    root.innerHTML = "";
    const box = document.createElement("div");
    box.className = "wrap";
    box.innerHTML = '<div class="panel empty" id="not-found"><div class="big-icon">🧭</div><h1>Page not found</h1><p class="msg"></p><a class="btn primary" href="/create" data-link>Make a set</a> <a class="btn" href="/jobs" data-link>My jobs</a></div>';
    box.querySelector(".msg").textContent = `There is no page at ${path}.`;
    root.append(box);
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
    root.innerHTML = "";
    const box = document.createElement("div");
    box.className = "wrap";
    box.innerHTML = '<div class="panel empty"><div class="big-icon">🙈</div><p class="msg"></p><a class="btn primary" href="/jobs" data-link>Back to my jobs</a></div>';
    box.querySelector(".msg").textContent = err && err.message ? err.message : String(err);
    root.append(box);
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
ensureSignedIn(document.getElementById("view")).then(render);
