// Jobs: every past job, newest first, each opening where it stands (watch, refine, results, resume).
import { API, ApiError, get, post } from "../api.js";
import { navigate } from "../app.js";
import { actionLabel, badge, fmtDate, h, listNodes, listOf, msg, pageHead, platformLabel, platformNames, showError, timeAgo, toast } from "../ui.js";

export async function render(root) {
  const wrap = h("div", { class: "wrap" });
  root.append(wrap);
  wrap.append(pageHead(msg("nav.jobs"), msg("jobs.subtitle"), h("a", { class: "btn primary", href: "/create", "data-link": "" }, msg("jobs.new"))));
  const list = h("div", { class: "jobs", id: "jobs-list" });
  wrap.append(list);

  const names = await platformNames();

  async function load() {
    const { jobs } = await get("/jobs?limit=100");
    list.innerHTML = "";
    if (!jobs.length) {
      list.append(h("div", { class: "panel empty" }, h("div", { class: "big-icon" }, "🍿"), h("p", {}, msg("jobs.empty")),
        h("a", { class: "btn primary", href: "/create", "data-link": "" }, msg("jobs.first"))));
      return;
    }
    for (const j of jobs) {
      const done = j.actions.filter((a) => a.status === "done").length;
      const open = { refine: `/refine/${j.id}`, results: `/results/${j.id}` }[j.next_step] || `/job/${j.id}`;
      const label = msg(`jobs.next_${{ refine: "refine", results: "results", watch: "watch" }[j.next_step] || "open"}`);
      const actions = h("div", { class: "row jact" },
        j.next_step === "refine" ? h("a", { class: "btn small", href: `/job/${j.id}`, "data-link": "" }, msg("jobs.job")) : null,
        j.next_step === "resume" ? h("button", { class: "btn small", onclick: () => resume(j.id) }, msg("job.resume")) : null,
        h("a", { class: "btn small primary", href: open, "data-link": "" }, label),
        j.resting ? h("button", { class: "btn small danger", type: "button", "data-delete": j.id, "aria-label": msg("jobs.delete_label", { id: j.id }), onclick: () => remove(j) }, msg("jobs.delete")) : null);
      const thumb = h("img", { src: `${API}/jobs/${j.id}/character`, alt: msg("jobs.character"), loading: "lazy" });
      thumb.addEventListener("error", () => thumb.replaceWith(h("span", {}, "🍿")));
      list.append(h("article", { class: "jrow", "data-job": j.id },
        h("div", { class: "jthumb" }, thumb),
        h("div", { class: "jmain" },
          h("div", { class: "l1" }, h("a", { class: "jtitle", href: open, "data-link": "" }, ...title(j)), badge(j.status),
            h("time", { class: "muted small", datetime: j.created_at || "", title: timeAgo(j.created_at) }, fmtDate(j.created_at)), h("code", { title: msg("jobs.job_id"), translate: "no" }, j.id)),
          h("div", { class: "l2" }, msg("jobs.emoji_count", { done, n: j.actions.length }), " · ", ...listNodes(j.platforms.map((p) => platformLabel(names, p))),
            j.prompt ? h("span", { translate: "no" }, ` · “${j.prompt}”`) : null)),
        actions));
    }
  }

  // What the set is, in words: its actions (the id stays, small, for support and the CLI).
  function title(j) {
    const labels = listNodes(j.actions.slice(0, 4).map((a) => h("span", {}, a.emoji ? `${a.emoji} ` : null, actionLabel(a))));
    return j.actions.length > 4 ? [...labels, ` +${j.actions.length - 4}`] : labels;
  }

  async function remove(j) {
    if (!confirm(String(msg("jobs.confirm_delete", { set: listOf(j.actions.map(actionLabel)) })))) return;
    try {
      const res = await fetch(`${API}/jobs/${j.id}`, { method: "DELETE" });
      if (!res.ok) {
        const b = await res.json().catch(() => ({}));
        throw new ApiError(res.status, b.detail || res.statusText, b.code || "error");
      }
      toast(msg("jobs.deleted"), "ok");
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
