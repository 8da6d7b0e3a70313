// Results: every emoji animated on a light and a dark chat background, the validator's verdict per
// file, a full-size preview modal, and downloads per file and per platform ZIP.
import { get } from "../api.js";
import { navigate } from "../app.js";
import { actionLabel, fmtBytes, h, listOf, msg, pageHead, platformLabel, plural, showError } from "../ui.js";
import { has, ruleMsg, warningMsg } from "../i18n.js";
import { captionSection } from "../captions-view.js";

export async function render(root, jobId) {
  const [job, exports] = await Promise.all([get(`/jobs/${jobId}`), get(`/jobs/${jobId}/exports`)]);
  const wrap = h("div", { class: "wrap" });
  root.append(wrap);
  wrap.append(h("div", { class: "crumb" }, h("a", { href: "/jobs", "data-link": "" }, msg("nav.jobs")), " / ", h("a", { href: `/job/${jobId}`, "data-link": "", translate: "no" }, jobId), " / ", msg("results.crumb")));
  wrap.append(pageHead(msg("job.title"), headline(exports),
    h("a", { class: "btn", href: `/refine/${jobId}`, "data-link": "", hidden: !["completed", "completed_with_errors", "awaiting_refinement"].includes(job.status) }, msg("results.refine_again")),
    h("a", { class: "btn", href: "/create", "data-link": "" }, msg("nav.create"))));
  wrap.append(captionSection(job, exports, () => navigate(`/job/${jobId}`)) || "");

  if (!exports.length) {
    wrap.append(h("div", { class: "panel empty" }, h("div", { class: "big-icon" }, "📦"), h("p", {}, msg("results.empty")),
      h("a", { class: "btn primary", href: `/job/${jobId}`, "data-link": "" }, msg("results.back"))));
    return;
  }
  const stamp = encodeURIComponent(job.updated_at || "");
  for (const ex of exports) {
    const panel = h("section", { class: "panel", "data-platform": ex.platform });
    panel.append(h("div", { class: "export-head" },
      h("div", { class: "grow" }, h("h2", { style: { margin: 0 } }, platformLabel({ [ex.platform]: ex.name }, ex.platform)), h("div", { class: "muted small" }, plural(ex.files.length, "results.n_files"), ` · ZIP ${fmtBytes(ex.zip_bytes)}`)),
      h("a", { class: "btn primary", href: ex.zip_url, download: "", id: `zip-${ex.platform}` }, msg("results.zip"))));
    if (ex.warnings.length) panel.append(h("div", { class: "warnings", role: "note" }, h("b", {}, msg("results.before_submit")), h("ul", {}, ex.warnings.map((w, i) => h("li", {}, warningText(ex, i, w))))));
    const grid = h("div", { class: "emoji-grid" });
    for (const f of [...ex.files, ...ex.extra_images]) {
      const src = `${f.url}?v=${stamp}`;
      const card = h("article", { class: `ecard${f.valid ? "" : " invalid"}`, "data-file": f.name },
        h("div", { class: "pair", role: "button", tabindex: "0", "aria-label": msg("results.preview", { name: f.name }), onclick: () => openModal(f, src, platformLabel({ [ex.platform]: ex.name }, ex.platform)) },
          h("div", { class: "chat-light" }, media(f.name, src, f.label ? fileLabel(f) : f.name)),
          h("div", { class: "chat-dark" }, media(f.name, src, ""))),
        h("div", { class: "info" },
          h("div", { class: "top" }, h("b", { translate: "no" }, f.name), f.label ? h("span", { class: "muted" }, fileLabel(f)) : null,
            verdict(f)),
          h("div", { class: "muted small" }, ...[f.frames ? plural(f.frames, "results.n_frames") : null, f.seconds ? `${f.seconds}s × ${f.loops || "∞"}` : null, fmtBytes(f.bytes)].filter(Boolean).flatMap((x, i) => [i ? " · " : null, x])),
          f.problems.length ? h("div", { class: "err" }, problems(f)) : null,
          h("div", { class: "row" }, h("a", { class: "btn small", href: f.url, download: f.name }, msg("results.download")))));
      card.querySelector(".pair").addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openModal(f, src, platformLabel({ [ex.platform]: ex.name }, ex.platform)); } });
      grid.append(card);
    }
    panel.append(grid);
    wrap.append(panel);
  }

  // Telegram files are VP9 WebM with alpha: a looping muted video, not an image.
  // The headline agrees with the per-platform warnings: files can each pass while the set cannot be submitted.
  function headline(list) {
    const total = list.reduce((n, e) => n + e.files.length, 0);
    const bad = total - list.reduce((n, e) => n + e.files.filter((f) => f.valid).length, 0);
    const warned = list.filter((e) => e.warnings.length).map((e) => platformLabel({ [e.platform]: e.name }, e.platform));
    const files = bad ? msg("results.bad", { bad, n: total }) : msg("results.each_passes", { n: total });
    if (warned.length) return msg("results.not_ready", { files, names: listOf(warned) });
    return bad ? files : msg("results.all_pass", { n: total });
  }

  // A file's action in the page's language (a preset's name; a custom action's own name as given).
  function fileLabel(f) {
    const a = job.actions.find((x) => x.action_id === f.action_id);
    return a && has(`action.${a.action_id}`) ? msg(`action.${a.action_id}`) : f.label;
  }

  // A file's failed rules in the page's language (an export written before rule codes: its English).
  function problems(f) {
    const coded = f.problem_codes || [];
    const each = f.problems.map((text, i) => (coded[i] ? ruleMsg(coded[i], text) : text));
    return each.flatMap((m, i) => (i ? ["; ", m] : [m]));
  }

  // A platform note the export gave a code (e.g. a set too small) in the page's language; else its text.
  function warningText(ex, i, text) {
    const c = (ex.warning_codes || [])[i];
    if (!c || !c.code) return text;
    const p = c.params || {};
    const a = job.actions.find((x) => x.action_id === p.action);
    const rule = c.code === "file_rule" ? ruleMsg(p, text) : undefined;
    return warningMsg(c.code, text, { ...p, rule, name: platformLabel({ [p.platform]: p.name }, p.platform), action: a ? actionLabel(a) : p.action || "" });
  }

  function media(name, src, alt) {
    if (name.endsWith(".webm")) {
      const v = h("video", { src, autoplay: "", loop: "", muted: "", playsinline: "", "aria-label": alt });
      v.muted = true; // the property, not only the attribute, lets browsers autoplay it
      return v;
    }
    return h("img", { src, alt });
  }

  function verdict(f) {
    if (!f.action_id) {
      const kind = f.name.startsWith("main") ? "main" : "tab";
      return h("span", { class: "badge", title: msg(`results.${kind}_title`) }, msg(`results.${kind}`));
    }
    return f.valid ? h("span", { class: "badge ok", "data-verdict": "valid", title: msg("results.passes_all") }, msg("results.valid"))
      : h("span", { class: "badge bad", "data-verdict": "invalid" }, msg("results.invalid"));
  }

  let modal = null;
  let opener = null; // the card that opened the modal: focus goes back to it on close
  function onKey(e) {
    if (e.key === "Escape") closeModal();
    else if (e.key === "Tab" && modal) {
      // Keep keyboard focus inside the dialog while it is open.
      const items = [...modal.querySelectorAll("button, a[href]")];
      const i = items.indexOf(document.activeElement);
      if (e.shiftKey && i <= 0) { e.preventDefault(); items[items.length - 1].focus(); }
      else if (!e.shiftKey && i === items.length - 1) { e.preventDefault(); items[0].focus(); }
    }
  }
  function closeModal() {
    if (!modal) return;
    modal.remove();
    modal = null;
    document.removeEventListener("keydown", onKey);
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  }
  function openModal(f, src, platformName) {
    const from = document.activeElement;
    closeModal();
    opener = from && from !== document.body ? from : null;
    const close = h("button", { class: "btn ghost close-x", "aria-label": msg("ui.close"), id: "modal-close", onclick: closeModal }, "×");
    modal = h("div", { class: "modal-back", id: "preview-modal", onclick: (e) => { if (e.target === modal) closeModal(); } },
      h("div", { class: "modal", role: "dialog", "aria-modal": "true", "aria-label": f.name },
        h("div", { class: "mhead" }, h("h2", {}, h("span", { translate: "no" }, f.name), f.label ? " · " : null, f.label ? fileLabel(f) : null), verdict(f), close),
        h("div", { class: "mbody" }, h("div", { class: "chat-light" }, media(f.name, src, f.name)), h("div", { class: "chat-dark" }, media(f.name, src, ""))),
        h("div", { class: "mfoot" }, h("span", {}, platformName), h("span", {}, fmtBytes(f.bytes)), f.problems.length ? h("span", { class: "err" }, problems(f)) : h("span", {}, msg("results.passes_all")),
          h("span", { class: "spacer" }), h("a", { class: "btn small", href: f.url, download: f.name }, msg("results.download")))));
    document.body.append(modal);
    document.addEventListener("keydown", onKey);
    close.focus();
  }
  return () => { try { closeModal(); } catch (err) { showError(err); } };
}
