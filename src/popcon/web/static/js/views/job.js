// Job: live progress (server-sent events, polling as fallback), per-action cards, retry, cancel,
// and the choice at awaiting_refinement: refine backgrounds or finish without refining.
import { API, get, post } from "../api.js";
import { navigate } from "../app.js";
import { actionLabel, badge, clip, fmtDuration, h, listNodes, msg, parseTime, platformLabel, platformNames, plural, showError, statusLabel, toast } from "../ui.js";
import { englishFirst, failureMsg, language, warningMsg } from "../i18n.js";

const STAGES = ["generating_character", "generating_poses", "animating", "extracting", "matting", "awaiting_refinement", "exporting", "completed"]
  .map((k) => [k, msg(`stage.${k}`)]);
const ORDER = ["queued", ...STAGES.map((s) => s[0])];
const ACTION_PROGRESS = { pending: 5, posing: 20, animating: 45, extracting: 70, matting: 85, done: 100, failed: 100, canceled: 0 };

export async function render(root, jobId) {
  const [first, names, history] = await Promise.all([get(`/jobs/${jobId}`), platformNames(), get(`/jobs/${jobId}/activity`).catch(() => [])]);
  let job = first;
  const flips = new Map(); // action index -> animated thumbnail, kept across re-renders
  let source = null, pollTimer = null, tickTimer = null, refetchTimer = null, closed = false;
  let finishing = false;
  let sawExport = false; // an export ran while this page was open: show its results when it ends
  const logLines = [];
  const exportState = new Map(); // platform -> {state, done, total, what}, from the export events
  history.forEach(noteEvent); // the activity so far, kept by the server: a reload loses nothing

  const wrap = h("div", { class: "wrap" });
  root.append(wrap);
  const head = h("div", { class: "page-head" });
  const trackerPanel = h("section", { class: "panel" });
  const callout = h("div");
  const cutPanel = h("div");
  const cards = h("div", { class: "cards", id: "action-cards" });
  // Focusable (it scrolls): keyboard users reach and scroll the activity log too.
  const log = h("div", { class: "log", role: "log", tabindex: "0", "aria-label": msg("job.activity_log") });
  const logBox = h("section", { class: "activity", hidden: true }, h("h3", { class: "muted small" }, msg("job.activity")), log);
  wrap.append(h("div", { class: "crumb" }, h("a", { href: "/jobs", "data-link": "" }, msg("nav.jobs")), " / ", h("span", { translate: "no" }, jobId)), head, trackerPanel, callout, cutPanel, cards, logBox);

  // A job's error in the page's language when the server gave it a code; else its (English) text.
  // A canceled job says so in its title; a set with failed actions counts them (the server's own
  // sentence, which may also name export errors, stays on an English page).
  function jobError(j) {
    if (!j.error) return "";
    if (j.error_code) return failure(j.error_code, j.error);
    if (j.status === "canceled") return englishFirst(j.error, msg("job.resume_body"));
    const failed = j.actions.filter((a) => a.status === "failed").length;
    if (j.status === "completed_with_errors" && failed) return englishFirst(j.error, msg("job.failed_actions", { n: failed }));
    return j.error;
  }

  // A coded failure in the page's language, the server's English beside it as data (not translated).
  function failure(code, english) {
    const [words, detail] = failureMsg(code, english);
    return [words, h("span", { class: "muted", translate: "no" }, detail)];
  }

  function stageIndex(status) {
    if (status === "completed_with_errors") return ORDER.indexOf("completed");
    return ORDER.indexOf(status);
  }

  // Actions run their stages in parallel and the job's own status moves on only when the slowest one
  // does: while it runs, the step shown is where the least advanced unfinished action is (at least the
  // job's own), so the header never says "Poses" while every action is cutting out.
  const ACTION_STAGE = { posing: "generating_poses", animating: "animating", extracting: "extracting", matting: "matting" };
  function liveStage(j) {
    const own = stageIndex(j.status);
    if (j.resting || !["generating_poses", "animating", "extracting", "matting"].includes(j.status)) return own;
    const busy = j.actions.map((a) => ACTION_STAGE[a.status]).filter(Boolean).map((k) => ORDER.indexOf(k));
    return busy.length ? Math.max(own, Math.min(...busy)) : own;
  }

  function renderAll() {
    const j = job;
    if (j.status === "exporting" || finishing) sawExport = true;
    // head
    head.innerHTML = "";
    const buttons = [];
    if (!j.resting && !["exporting"].includes(j.status)) {
      buttons.push(h("button", { class: "btn danger", id: "cancel", onclick: cancel }, msg("job.cancel")));
    }
    // Resume of a failed or canceled job lives in the callout below (one button, not two).
    if (j.exported.length) buttons.push(h("a", { class: "btn", href: `/results/${j.id}`, "data-link": "" }, msg("job.results")));
    head.append(h("div", { class: "grow" }, h("h1", { title: j.prompt || null }, j.prompt ? h("span", { translate: "no" }, `“${clip(j.prompt, 60)}”`) : msg("job.title")),
      h("div", { class: "row", style: { marginTop: "6px" } }, h("span", { id: "job-status" }, badge(j.status)),
        h("span", { class: "muted small" }, plural(j.actions.length, "job.n_actions"), " · ", ...listNodes(j.platforms.map((p) => platformLabel(names, p)))))), ...buttons);

    // tracker
    trackerPanel.innerHTML = "";
    const cur = liveStage(j);
    const failed = j.status === "failed" || j.status === "canceled";
    const tracker = h("div", { class: "tracker" });
    let failAt = -1;
    if (failed) {
      const lastLive = Math.max(1, ...j.actions.map((a) => ORDER.indexOf({ pending: "generating_poses", posing: "generating_poses", animating: "animating", extracting: "extracting", matting: "matting", done: "awaiting_refinement" }[a.status] || "generating_poses")));
      failAt = Math.min(lastLive, ORDER.indexOf("matting"));
    }
    let caption = "";
    STAGES.forEach(([key, label], n) => {
      const i = ORDER.indexOf(key);
      let cls = "st";
      if (failed) cls += i < failAt ? " done" : i === failAt ? " fail" : "";
      else if (i < cur || j.status === "completed" || j.status === "completed_with_errors") cls += " done";
      else if (i === cur) cls += " now";
      if (/ (now|fail)/.test(cls)) caption = msg("job.step", { n: n + 1, total: STAGES.length, label });
      tracker.append(h("div", { class: cls, "aria-current": / (now|fail)/.test(cls) ? "step" : null }, h("span", { class: "lbl" }, label)));
    });
    if (!caption) caption = j.status === "queued" ? msg("job.queued") : msg("job.all_steps", { total: STAGES.length });
    const done = j.actions.filter((a) => a.status === "done").length;
    const elapsed = h("span", { class: "v", id: "elapsed" }, elapsedText());
    requestAnimationFrame(() => {
      // On narrow screens the tracker scrolls: keep the current step in view.
      const at = tracker.querySelector(".now, .fail") || tracker.lastElementChild;
      if (at && tracker.scrollWidth > tracker.clientWidth) tracker.scrollLeft = at.offsetLeft - tracker.clientWidth / 2;
    });
    trackerPanel.append(tracker, h("div", { class: "tracker-caption", id: "tracker-caption" }, caption), h("div", { class: "stats" },
      h("div", { class: "stat" }, h("div", { class: "k" }, msg("job.stage")), h("div", { class: "v" }, statusLabel(j.status))),
      h("div", { class: "stat" }, h("div", { class: "k" }, msg("job.ready_count")), h("div", { class: "v" }, `${done} / ${j.actions.length}`)),
      h("div", { class: "stat" }, h("div", { class: "k" }, msg(j.resting ? "job.took" : "job.elapsed")), elapsed)));

    // callout
    callout.innerHTML = "";
    if (j.stalled) {
      callout.append(h("div", { class: "callout bad", id: "stalled" },
        h("div", { class: "grow" }, h("h2", {}, msg("job.stalled")),
          h("p", {}, jobError(j), " ", msg("job.work_kept"))),
        h("button", { class: "btn primary", id: "resume", onclick: resume }, msg("job.resume"))));
    } else if (j.status === "awaiting_refinement" && !finishing) {
      callout.append(h("div", { class: "callout", id: "review" },
        h("div", { class: "grow" }, h("h2", {}, msg("job.review_title")),
          h("p", {}, msg("job.review_body"))),
        h("a", { class: "btn primary big", id: "refine", href: `/refine/${j.id}`, "data-link": "" }, msg("job.refine")),
        h("button", { class: "btn big", id: "finish", onclick: finish }, msg("job.finish"))));
    } else if (j.status === "exporting" || finishing) {
      callout.append(h("div", { class: "callout", id: "export-progress" }, h("div", { class: "spinner" }),
        h("div", { class: "grow" }, h("h2", {}, msg("job.packaging")), h("p", {}, msg("job.packaging_body")),
          exportRows(j))));
    } else if (j.status === "completed" || j.status === "completed_with_errors") {
      callout.append(h("div", { class: "callout" },
        h("div", { class: "grow" }, h("h2", {}, msg(j.status === "completed" ? "job.done_title" : "job.done_errors_title")),
          h("p", {}, jobError(j) || msg("job.done_body"))),
        h("a", { class: "btn primary big", id: "see-results", href: `/results/${j.id}`, "data-link": "" }, msg("job.see_results"))));
    } else if (failed) {
      callout.append(h("div", { class: "callout bad" },
        h("div", { class: "grow" }, h("h2", {}, msg(j.status === "failed" ? "job.failed_title" : "job.canceled_title")),
          h("p", {}, jobError(j) || msg("job.resume_body"))),
        h("button", { class: "btn primary", id: "resume", onclick: resume }, msg("job.resume"))));
    }

    // The upload's cut-out, shown with its warning when it is probably wrong: every emoji starts from it.
    cutPanel.innerHTML = "";
    if (j.cutout_warning) {
      cutPanel.append(h("section", { class: "set-warning cutout-check", id: "cutout-check", role: "status" },
        h("img", { src: `${API}/jobs/${j.id}/character`, alt: msg("job.cutout_alt"), id: "job-cutout", class: "cutout-thumb" }),
        h("div", { class: "grow" }, h("b", {}, msg("job.cutout_check")),
          h("div", { id: "job-cutout-warning" }, "⚠ ", warningMsg(j.cutout_warning_code, j.cutout_warning)))));
    }

    // action cards
    cards.innerHTML = "";
    for (const a of j.actions) {
      const pct = ACTION_PROGRESS[a.status] ?? 0;
      const running = !["done", "failed", "canceled"].includes(a.status) && !j.resting;
      const thumb = a.status === "done" && a.frame_count ? flipbook(a) : h("span", { class: "emoji-big" }, a.emoji || "✨");
      const body = h("div", { class: "body" },
        h("div", { class: "title" }, h("span", {}, a.emoji || "✨"), h("b", {}, actionLabel(a)), badge(a.status)),
        h("div", { class: `bar${running ? "" : ""}` }, h("i", { style: { width: `${pct}%` } })),
        a.frame_count ? h("div", { class: "muted small" }, msg("job.frames_loop", { n: a.frame_count, s: a.seconds })) : null,
        a.error ? h("div", { class: "err" }, a.error_code ? failure(a.error_code, a.error) : a.error) : null,
        a.matte_warning ? h("div", { class: "warn small", "data-matte-warning": "" },
          "⚠ ", warningMsg(a.matte_warning_code, a.matte_warning), " ", msg("job.low_frames", { frames: a.matte_low_frames.map((f) => f + 1).join(", ") })) : null,
        a.status === "failed" || a.status === "canceled"
          ? h("button", { class: "btn small", "data-retry": a.index, disabled: !j.resting, onclick: () => retry(a.index) }, msg("job.retry")) : null);
      cards.append(h("article", { class: "acard", "data-action-index": a.index, "data-status": a.status }, h("div", { class: "thumb" }, thumb), body));
    }
    logBox.hidden = !logLines.length;
    log.replaceChildren(h("span", {}, ...logLines.slice(-30).flat()));
    log.scrollTop = log.scrollHeight;
  }

  // The action's loop, played in its card (every action starts from the same pose: frame 0 alone says
  // nothing). At most 12 frames are fetched; reduced-motion users get the middle frame, still.
  function flipbook(a) {
    const key = `${a.index}:${a.frame_count}:${a.attempts}`;
    const old = flips.get(a.index);
    if (old && old.key === key) return old.canvas;
    if (old) clearInterval(old.timer);
    const canvas = h("canvas", { class: "flip", role: "img", "aria-label": msg("job.animation", { action: actionLabel(a) }), "data-action-flip": a.index });
    const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
    const count = still ? 1 : Math.min(12, a.frame_count);
    const picks = still ? [Math.floor(a.frame_count / 2)] : Array.from({ length: count }, (_, i) => Math.floor((i * a.frame_count) / count));
    const entry = { key, canvas, timer: null, frames: [], at: 0 };
    flips.set(a.index, entry);
    const stamp = encodeURIComponent(job.updated_at || "");
    Promise.all(picks.map((f) => new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => resolve(null);
      img.src = `${API}/jobs/${jobId}/actions/${a.index}/frames/${f}/cutout?v=${stamp}`;
    }))).then((imgs) => {
      entry.frames = imgs.filter(Boolean);
      if (!entry.frames.length || closed) return;
      canvas.width = entry.frames[0].naturalWidth;
      canvas.height = entry.frames[0].naturalHeight;
      const ctx = canvas.getContext("2d");
      const show = () => {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(entry.frames[entry.at], 0, 0);
        canvas.dataset.frame = String(entry.at);
        entry.at = (entry.at + 1) % entry.frames.length;
      };
      show();
      if (entry.frames.length > 1) entry.timer = setInterval(show, Math.max(40, ((a.seconds || 2) * 1000) / entry.frames.length));
    });
    return canvas;
  }

  function elapsedText() {
    const start = parseTime(job.created_at);
    if (!start) return "";
    const end = job.resting ? parseTime(job.updated_at) : new Date();
    return fmtDuration((end - start) / 1000);
  }

  async function refetch() {
    try {
      job = await get(`/jobs/${jobId}`);
      if (finishing && job.status !== "awaiting_refinement") finishing = false;
      if (closed) return;
      renderAll();
      if (job.status === "completed" && job.resting && lastStatus !== null && lastStatus !== "completed") {
        toast(msg("job.exported"), "ok");
      }
      lastStatus = job.status;
      if (job.resting) stopLive();
    } catch (err) { showError(err); }
  }
  let lastStatus = null;

  function scheduleRefetch() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(refetch, 120);
  }

  function startLive() {
    stopLive();
    if (!window.EventSource) return startPolling();
    source = new EventSource(`${API}/jobs/${jobId}/events`);
    source.addEventListener("snapshot", (e) => { job = JSON.parse(e.data); renderAll(); });
    for (const kind of ["job", "action", "export"]) source.addEventListener(kind, (e) => { noteEvent(JSON.parse(e.data)); scheduleRefetch(); });
    source.addEventListener("log", (e) => { noteEvent(JSON.parse(e.data)); scheduleRefetch(); });
    source.addEventListener("end", () => { stopLive(); refetch(); });
    source.onerror = () => {
      // The stream dropped (proxy, sleep, server restart): poll until the job rests.
      if (source) { source.close(); source = null; }
      startPolling();
    };
  }

  // One row per platform: waiting, a bar with the file being written, done or failed.
  function exportRows(j) {
    return h("ul", { class: "export-rows" }, j.platforms.map((p) => {
      const e = exportState.get(p) || { state: j.exported.includes(p) ? "done" : "waiting", done: 0, total: 0, what: "" };
      const pct = e.state === "done" ? 100 : e.total ? Math.round((100 * e.done) / e.total) : 0;
      const text = e.state === "done" ? msg("export.done") : e.state === "failed" ? msg("export.failed", { what: e.what }) : e.state === "waiting" ? msg("export.waiting")
        : e.total ? msg("export.steps", { done: e.done, total: e.total, what: stepText(e.what) }) : msg("export.starting");
      return h("li", { "data-export-platform": p, "data-state": e.state },
        h("span", { class: "name" }, platformLabel(names, p)),
        h("div", { class: "bar", role: "progressbar", "aria-label": msg("export.bar", { name: platformLabel(names, p) }), "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct) },
          h("i", { style: { width: `${pct}%` } })),
        h("span", { class: "small muted what" }, text));
    }));
  }

  // The export's step as the engine names it ("encoded Wave", "packaging"), in the page's language.
  function stepText(what) {
    const m = /^encoded (.+)$/.exec(what || "");
    if (m) {
      const a = job.actions.find((x) => x.label === m[1]);
      return msg("export.step_encoded", { action: a ? actionLabel(a) : m[1] });
    }
    const key = { "extra images and previews": "export.step_extras", packaging: "export.step_packaging", done: "export.done" }[what];
    return key ? msg(key) : what || ""; // a step the catalogue does not know: as the engine said it
  }

  function noteExport(ev) {
    const m = /^(\S+) (\d+)\/(\d+) (.*)$/.exec(ev.message || "");
    if (ev.status === "progress" && m) {
      exportState.set(m[1], { state: "running", done: Number(m[2]), total: Number(m[3]), what: m[4] });
      return true;
    }
    const [platform, ...rest] = (ev.message || "").split(": ");
    if (ev.status === "running") exportState.set(platform, { state: "running", done: 0, total: 0, what: "" });
    else if (ev.status === "done" || ev.status === "failed" || ev.status === "canceled") {
      exportState.set(platform, { state: ev.status, done: 1, total: 1, what: rest.join(": ") });
    }
    return false;
  }

  function noteEvent(ev) {
    if (ev.kind === "log" && (ev.status === "idle" || ev.status === "info")) return;
    // Per-file export steps move the bars; the log keeps the platform's start and end only.
    if (ev.kind === "export" && noteExport(ev)) { if (!closed && job) updateExportRows(); return; }
    const t = new Date(ev.at * 1000).toLocaleTimeString(language(), { hourCycle: "h23" }); // no AM/PM to translate
    const action = ev.action_id ? job.actions.find((a) => a.action_id === ev.action_id) : null;
    const who = action ? [actionLabel(action), ": "] : ev.action_id ? [ev.action_id, ": "] : [];
    // Kind, action and status in the page's language; an export names its platform; any other message
    // is the server's own (English) text, kept as it came.
    let said = [];
    if (ev.message && ev.kind === "export") {
      const [platform, ...rest] = ev.message.split(": ");
      const why = rest.length && ev.code ? [": ", ...failure(ev.code, rest.join(": "))] : null;
      said = [" · ", platformLabel(names, platform), why || (rest.length ? h("span", { translate: "no" }, `: ${rest.join(": ")}`) : null)];
    } else if (ev.message && ev.code) said = [" · ", ...failure(ev.code, ev.message)];
    else if (ev.message) said = [" · ", h("span", { translate: "no" }, ev.message)];
    logLines.push([`${t}  `, msg(`event.${ev.kind}`), " ", ...who, statusLabel(ev.status), ...said, "\n"]);
  }

  function updateExportRows() {
    const box = document.querySelector("#export-progress .export-rows");
    if (box) box.replaceWith(exportRows(job));
  }

  function startPolling() {
    clearInterval(pollTimer);
    pollTimer = setInterval(async () => { await refetch(); if (job.resting) clearInterval(pollTimer); }, 2000);
  }

  function stopLive() {
    if (source) { source.close(); source = null; }
    clearInterval(pollTimer);
  }

  async function act(fn) {
    try { job = await fn(); renderAll(); startLive(); } catch (err) { showError(err); refetch(); }
  }
  const cancel = () => {
    if (!confirm(String(msg("job.confirm_cancel")))) return;
    act(() => post(`/jobs/${jobId}/cancel`));
  };
  const resume = () => act(() => post(`/jobs/${jobId}/resume`));
  const retry = (i) => act(() => post(`/jobs/${jobId}/actions/${i}/retry`));
  const finish = () => { finishing = true; renderAll(); act(() => post(`/jobs/${jobId}/export`, {})); };

  renderAll();
  lastStatus = job.status;
  if (!job.resting) startLive();
  tickTimer = setInterval(() => { const el = document.getElementById("elapsed"); if (el && !job.resting) el.textContent = elapsedText(); }, 1000);
  // Finished while we watched: go to the results.
  const watchDone = setInterval(() => {
    if (job.status.startsWith("completed") && job.resting && job.exported.length && sawExport) navigate(`/results/${jobId}`);
  }, 500);

  return () => {
    closed = true; stopLive(); clearInterval(tickTimer); clearInterval(watchDone); clearTimeout(refetchTimer);
    for (const f of flips.values()) clearInterval(f.timer);
  };
}
