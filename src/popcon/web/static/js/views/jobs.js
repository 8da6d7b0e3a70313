// Jobs: every past job, newest first, each opening where it stands (watch, refine, results, resume).
import { API, ApiError, get, post } from "../api.js";
import { navigate } from "../app.js";
import { badge, fmtDate, h, pageHead, platformLabel, platformNames, showError, timeAgo, toast } from "../ui.js";

export async function render(root) {
  const wrap = h("div", { class: "wrap" });
  root.append(wrap);
  wrap.append(pageHead("My jobs", "Pick up any set where you left it.", h("a", { class: "btn primary", href: "/create", "data-link": "" }, "+ New set")));
  const list = h("div", { class: "jobs", id: "jobs-list" });
  wrap.append(list);

  const names = await platformNames();

  async function load() {
    const { jobs } = await get("/jobs?limit=100");
    list.innerHTML = "";
    if (!jobs.length) {
      list.append(h("div", { class: "panel empty" }, h("div", { class: "big-icon" }, "🍿"), h("p", {}, "No jobs yet."),
        h("a", { class: "btn primary", href: "/create", "data-link": "" }, "Make your first set")));
      return;
    }
    for (const j of jobs) {
      const done = j.actions.filter((a) => a.status === "done").length;
      const open = { refine: `/refine/${j.id}`, results: `/results/${j.id}` }[j.next_step] || `/job/${j.id}`;
      const label = { refine: "Review & refine", results: "Results", resume: "Open", watch: "Watch" }[j.next_step] || "Open";
      const actions = h("div", { class: "row jact" },
        j.next_step === "refine" ? h("a", { class: "btn small", href: `/job/${j.id}`, "data-link": "" }, "Job") : null,
        j.next_step === "resume" ? h("button", { class: "btn small", onclick: () => resume(j.id) }, "Resume") : null,
        h("a", { class: "btn small primary", href: open, "data-link": "" }, label),
        j.resting ? h("button", { class: "btn small danger", type: "button", "data-delete": j.id, "aria-label": `Delete job ${j.id}`, onclick: () => remove(j) }, "Delete") : null);
      const thumb = h("img", { src: `${API}/jobs/${j.id}/character`, alt: "character", loading: "lazy" });
      thumb.addEventListener("error", () => thumb.replaceWith(h("span", {}, "🍿")));
      list.append(h("article", { class: "jrow", "data-job": j.id },
        h("div", { class: "jthumb" }, thumb),
        h("div", { class: "jmain" },
          h("div", { class: "l1" }, h("a", { class: "jtitle", href: open, "data-link": "" }, title(j)), badge(j.status),
            h("time", { class: "muted small", datetime: j.created_at || "", title: timeAgo(j.created_at) }, fmtDate(j.created_at)), h("code", { title: "job id" }, j.id)),
          h("div", { class: "l2" }, `${done}/${j.actions.length} emoji · ${j.platforms.map((p) => platformLabel(names, p)).join(", ")}${j.prompt ? " · “" + j.prompt + "”" : ""}`)),
        actions));
    }
  }

  // What the set is, in words: its actions (the id stays, small, for support and the CLI).
  function title(j) {
    const labels = j.actions.map((a) => `${a.emoji || ""} ${a.label}`.trim());
    return labels.length > 4 ? `${labels.slice(0, 4).join(", ")} +${labels.length - 4}` : labels.join(", ");
  }

  async function remove(j) {
    if (!confirm(`Delete this set (${title(j)})? Its images, frames and exports are removed for good.`)) return;
    try {
      const res = await fetch(`${API}/jobs/${j.id}`, { method: "DELETE" });
      if (!res.ok) {
        const b = await res.json().catch(() => ({}));
        throw new ApiError(res.status, b.detail || res.statusText, b.code || "error");
      }
      toast("Job deleted", "ok");
      await load();
    } catch (err) { showError(err); }
  }

  async function resume(id) {
    try { await post(`/jobs/${id}/resume`); navigate(`/job/${id}`); } catch (err) { showError(err); }
  }

  await load();
  const timer = setInterval(() => load().catch(() => {}), 5000);
  return () => clearInterval(timer);
}
