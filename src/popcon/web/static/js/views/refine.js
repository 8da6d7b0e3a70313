// Refine: click to select a region, preview its mask, keep / erase / restore it; undo / redo;
// step through frames; compare with the original; apply the edits to every frame; then export.
import { API, ApiError, get, post } from "../api.js";
import { navigate } from "../app.js";
import { SegmentCanvas } from "../segment-canvas.js";
import { actionLabel, h, listOf, msg, platformLabel, platformNames, plural, showError, statusLabel, toast } from "../ui.js";
import { setText } from "../i18n.js";

const MODES = ["keep", "erase", "restore"].map((m) => [m, msg(`refine.mode_${m}`)]);

export async function render(root, jobId) {
  const [job, names] = await Promise.all([get(`/jobs/${jobId}`), platformNames()]);
  const touch = matchMedia("(pointer: coarse)").matches; // a phone or tablet: no right click, no wheel
  const actions = job.actions.filter((a) => a.status === "done");
  const wrap = h("div", { class: "wrap" });
  root.append(wrap);
  wrap.append(h("div", { class: "crumb" }, h("a", { href: "/jobs", "data-link": "" }, msg("nav.jobs")), " / ", h("a", { href: `/job/${jobId}`, "data-link": "", translate: "no" }, jobId), " / ", msg("refine.crumb")));
  if (!actions.length || !["awaiting_refinement", "completed", "completed_with_errors"].includes(job.status)) {
    wrap.append(h("div", { class: "panel empty" }, h("div", { class: "big-icon" }, "✂️"),
      h("p", {}, msg("refine.nothing", { status: statusLabel(job.status) })),
      h("a", { class: "btn primary", href: `/job/${jobId}`, "data-link": "" }, msg("results.back"))));
    return;
  }
  const st = { action: actions[0].index, frame: 0, info: null, mode: "erase", backdrop: "checker", version: Date.now(), edit: null, busy: false, predictAbort: null, choices: [], choice: 0 };

  // ---- layout ---------------------------------------------------------------------------
  const finishBtn = h("button", { class: "btn primary", id: "finish-export", onclick: finish }, msg("refine.finish"));
  wrap.append(h("div", { class: "page-head" },
    h("div", { class: "grow" }, h("h1", {}, msg("job.refine")),
      h("p", {}, msg(touch ? "refine.intro_touch" : "refine.intro"))),
    finishBtn));

  const alist = h("div", { class: "alist", id: "action-list" });
  const side = h("aside", { class: "side" }, h("div", { class: "muted small" }, msg("refine.emoji")), alist);

  const modeSeg = h("div", { class: "seg modes", role: "group", "aria-label": msg("refine.edit_mode") },
    MODES.map(([m, label]) => h("button", { type: "button", "data-mode": m, "aria-pressed": String(m === st.mode), title: msg("refine.key_hint", { label, key: m[0].toUpperCase() }), onclick: () => setMode(m) }, label)));
  const pointBtn = h("button", { class: "btn small", id: "point-toggle", "aria-pressed": "false", title: msg("refine.point_title"), onclick: togglePoint }, msg("refine.fg_point"));
  const undoBtn = h("button", { class: "btn small", id: "undo", title: msg("refine.undo_title"), onclick: () => step(-1) }, msg("refine.undo"));
  const redoBtn = h("button", { class: "btn small", id: "redo", title: msg("refine.redo_title"), onclick: () => step(1) }, msg("refine.redo"));
  const clearBtn = h("button", { class: "btn small", id: "clear-points", title: msg("refine.clear_title"), onclick: clearPoints }, msg("refine.clear"));
  const applyBtn = h("button", { class: "btn small primary", id: "apply-edit", title: msg("refine.apply_title"), onclick: applyEdit, disabled: true }, msg("refine.apply"));
  // One click may mean the part under it, a bigger part or the whole piece: the user cycles through them.
  const choiceBtn = h("button", { class: "btn small", id: "cycle-choice", type: "button", title: msg("refine.choice_title"), onclick: () => cycleChoice(1), disabled: true }, msg("refine.part"));
  const bgSeg = h("div", { class: "seg", role: "group", "aria-label": msg("refine.backdrop") },
    ["checker", "light", "dark"].map((b) => {
      const name = msg(`refine.backdrop_${b}`);
      return h("button", { type: "button", "data-backdrop": b, "aria-pressed": String(b === st.backdrop), "aria-label": name, title: name, onclick: () => setBackdrop(b) },
        h("span", { "aria-hidden": "true" }, b === "checker" ? "▦" : b === "light" ? "☀" : "☾"));
    }));
  const zoomLabel = h("span", { class: "small muted", id: "zoom-label", style: { minWidth: "44px", textAlign: "center" } }, "100%");
  const zoomGroup = h("div", { class: "row", style: { gap: "4px" } },
    h("button", { class: "btn small", "aria-label": msg("refine.zoom_out"), onclick: () => zoomBy(0.8) }, "−"), zoomLabel,
    h("button", { class: "btn small", "aria-label": msg("refine.zoom_in"), onclick: () => zoomBy(1.25) }, "+"),
    h("button", { class: "btn small", onclick: () => setZoom(1), title: msg("refine.real_size"), "aria-label": msg("refine.zoom_real") }, "1:1"),
    h("button", { class: "btn small", onclick: () => setZoom(seg.fitZoom()), "aria-label": msg("refine.zoom_fit") }, msg("refine.fit")));
  const origToggle = h("button", { class: "btn small only-phone", "aria-label": msg("refine.show_original"), onclick: () => stage.classList.toggle("show-original") }, msg("create.original"));
  const toolbar = h("div", { class: "toolbar" }, modeSeg, pointBtn, h("span", { class: "sep" }), undoBtn, redoBtn, clearBtn,
    h("span", { class: "spacer" }), choiceBtn, applyBtn);

  const segVp = h("div", { class: "viewport", id: "seg-viewport" });
  const origVp = h("div", { class: "viewport", id: "orig-viewport" });
  const maskInfo = h("span", { class: "muted", id: "mask-info", role: "status", "aria-live": "polite" });
  const frameLabel = h("span", { class: "muted", id: "frame-label" });
  const frameNote = h("div", { class: "small muted", id: "frame-note" });
  const stage = h("div", { class: "stage" },
    h("div", { class: "pane" }, h("div", { class: "phead" }, msg("refine.cutout"), frameLabel, h("span", { class: "spacer" }), maskInfo), segVp,
      h("div", { class: "pfoot" }, bgSeg, h("span", { class: "spacer" }), zoomGroup, origToggle),
      h("div", { class: "hint", id: "refine-hint" }, ...(touch
        ? [msg("refine.hint_touch")]
        : [msg("refine.hint_a"), h("span", { class: "kbd" }, "←"), " ", h("span", { class: "kbd" }, "→"), msg("refine.hint_b")]))),
    h("div", { class: "pane original" }, h("div", { class: "phead" }, msg("refine.original"), h("span", { class: "muted" }, msg("refine.neutral"))), origVp));
  const thumbs = h("div", { class: "thumbs", id: "thumbs" });
  const allBar = h("i", { style: { width: "0%" } });
  const allStatus = h("span", { class: "small muted", id: "apply-all-status" });
  const applyAllBtn = h("button", { class: "btn", id: "apply-all", onclick: applyAll }, msg("refine.apply_all"));
  const applybar = h("div", { class: "applybar" }, applyAllBtn, h("div", { class: "bar" }, allBar), allStatus);
  const main = h("div", {}, toolbar, stage, frameNote, thumbs, applybar);
  wrap.append(h("div", { class: "refine" }, side, main));

  const seg = new SegmentCanvas(segVp);
  const orig = new SegmentCanvas(origVp, { interactive: false });
  seg.mode = st.mode;
  let syncing = false;
  segVp.addEventListener("scroll", () => { if (syncing) return; syncing = true; origVp.scrollLeft = segVp.scrollLeft; origVp.scrollTop = segVp.scrollTop; syncing = false; });
  seg.addEventListener("points", () => { updateButtons(); predict(); });
  seg.addEventListener("zoom", (e) => zoomBy(e.detail));

  // ---- data ----------------------------------------------------------------------------
  function renderActions() {
    alist.innerHTML = "";
    for (const a of actions) {
      alist.append(h("button", { type: "button", "aria-current": String(a.index === st.action), "data-action-index": a.index, onclick: () => openAction(a.index) },
        h("span", {}, a.emoji || "✨"), h("span", {}, actionLabel(a)), h("span", { class: "n" }, `${a.frame_count}`)));
    }
  }

  async function openAction(index) {
    st.action = index;
    st.frame = 0;
    renderActions();
    st.info = await get(`/jobs/${jobId}/actions/${index}/frames`);
    renderThumbs();
    // The action has more source frames than a platform file may play: say how many each one keeps.
    const plays = Object.entries(st.info.export_frames || {});
    setText(frameNote, plays.some(([, n]) => n !== st.info.frame_count)
      ? msg("refine.frame_note", { n: st.info.frame_count, plays: listOf(plays.map(([p, n]) => msg("refine.plays", { name: platformLabel(names, p), n }))) })
      : "");
    await openFrame(0, true);
  }

  function renderThumbs() {
    thumbs.innerHTML = "";
    for (let i = 0; i < st.info.frame_count; i++) {
      const edited = st.info.edited.includes(i);
      thumbs.append(h("button", { type: "button", "aria-current": String(i === st.frame), "data-frame": i, "aria-label": msg("refine.frame", { n: i + 1 }), onclick: () => openFrame(i) },
        h("img", { src: frameUrl(i, "cutout"), alt: "", loading: "lazy" }), edited ? h("span", { class: "dot", title: msg("refine.edited") }) : null, h("span", { class: "fn" }, String(i + 1))));
    }
  }

  function frameUrl(i, kind) { return `${API}/jobs/${jobId}/actions/${st.action}/frames/${i}/${kind}?v=${st.version}`; }

  function loadImage(src) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(msg("refine.load_failed"));
      img.src = src;
    });
  }

  async function openFrame(i, fit = false) {
    st.frame = i;
    // Prepare this frame and the next few on the server while the user looks at this one.
    post(`/jobs/${jobId}/segment/prepare`, { action: st.action, frame: i }).catch(() => {});
    seg.clearPoints();
    st.choices = [];
    setText(frameLabel, msg("refine.frame_of", { n: i + 1, total: st.info.frame_count }));
    thumbs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-current", String(Number(b.dataset.frame) === i)));
    const tb = thumbs.querySelector(`[data-frame="${i}"]`);
    if (tb) {
      // Scroll the strip only (scrollIntoView would scroll the whole page too).
      const left = tb.offsetLeft - thumbs.offsetLeft;
      if (left < thumbs.scrollLeft) thumbs.scrollLeft = left - 8;
      else if (left + tb.offsetWidth > thumbs.scrollLeft + thumbs.clientWidth) thumbs.scrollLeft = left + tb.offsetWidth - thumbs.clientWidth + 8;
    }
    const [cut, raw] = await Promise.all([loadImage(frameUrl(i, "cutout")), loadImage(frameUrl(i, "view"))]);
    if (st.frame !== i) return;
    seg.setImage(cut);
    orig.setImage(raw);
    if (fit) {
      // Whole pixels when the frame fits (crisp edges to inspect), else shrink to fit.
      const f = seg.fitZoom();
      setZoom(f >= 1 ? Math.min(4, Math.floor(f)) : f);
    }
    st.edit = await get(`/jobs/${jobId}/segment/state?action=${st.action}&frame=${i}`);
    updateButtons();
    maskInfo.textContent = "";
    frameLabel.dataset.shown = String(i); // the frame, its cut-out and its edit state are on screen
  }

  async function reloadFrame() {
    st.version = Date.now();
    const cut = await loadImage(frameUrl(st.frame, "cutout"));
    seg.setImage(cut);
    const t = thumbs.querySelector(`[data-frame="${st.frame}"] img`);
    if (t) t.src = frameUrl(st.frame, "cutout");
  }

  // ---- interaction --------------------------------------------------------------------------
  function setMode(m) {
    const changed = st.mode !== m;
    st.mode = m;
    seg.setMode(m);
    if (changed && seg.points.length) predict();
    modeSeg.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === m)));
  }

  function togglePoint() {
    seg.negative = !seg.negative;
    pointBtn.setAttribute("aria-pressed", String(seg.negative));
    setText(pointBtn, msg(seg.negative ? "refine.bg_point" : "refine.fg_point"));
  }

  function setBackdrop(b) {
    st.backdrop = b;
    seg.setBackdrop(b);
    bgSeg.querySelectorAll("button").forEach((x) => x.setAttribute("aria-pressed", String(x.dataset.backdrop === b)));
  }

  function setZoom(z) {
    seg.setZoom(z);
    orig.setZoom(seg.zoom);
    zoomLabel.textContent = `${Math.round(seg.zoom * 100)}%`;
  }
  function zoomBy(f) { setZoom(seg.zoom * f); }

  function clearPoints() {
    if (st.predictAbort) st.predictAbort.abort();
    seg.clearPoints();
    st.choices = [];
    maskInfo.textContent = "";
    delete maskInfo.dataset.ready;
    updateButtons();
  }

  function choiceName(i, n) {
    if (n === 1) return msg("refine.choice_selection");
    if (i === 0) return msg("refine.choice_part");
    return msg(i === n - 1 ? "refine.choice_whole" : "refine.choice_bigger");
  }

  function showChoice(i) {
    const c = st.choices[i];
    if (!c) return;
    st.choice = i;
    seg.setMaskRuns(c.runs, c.width, c.height);
    const n = st.choices.length;
    setText(maskInfo, msg(n > 1 ? "refine.mask_info_n" : "refine.mask_info", { name: choiceName(i, n), i: i + 1, n, pct: (c.area * 100).toFixed(1) }));
    maskInfo.dataset.choice = String(i);
    maskInfo.dataset.choices = String(n);
    setText(choiceBtn, n > 1 ? msg("refine.part_n", { i: i + 1, n }) : msg("refine.part"));
    updateButtons();
  }

  function cycleChoice(delta) {
    const n = st.choices.length;
    if (n < 2) return;
    showChoice((st.choice + delta + n) % n);
  }

  function updateButtons() {
    const e = st.edit || { can_undo: false, can_redo: false };
    undoBtn.disabled = !e.can_undo || st.busy;
    redoBtn.disabled = !e.can_redo || st.busy;
    applyBtn.disabled = !seg.points.length || st.busy;
    clearBtn.disabled = !seg.points.length;
    choiceBtn.disabled = st.choices.length < 2;
    applyAllBtn.disabled = st.busy || !(e.layers > 0);
    finishBtn.disabled = st.busy;
  }

  async function predict() {
    if (!seg.points.length) return;
    if (st.predictAbort) st.predictAbort.abort();
    const ctl = new AbortController();
    st.predictAbort = ctl;
    setText(maskInfo, msg("refine.computing"));
    try {
      const res = await fetch(`${API}/jobs/${jobId}/segment/predict`, {
        method: "POST", signal: ctl.signal, headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ action: st.action, frame: st.frame, clicks: seg.points, mode: st.mode, format: "rle" }),
      });
      if (!res.ok) { const b = await res.json().catch(() => ({})); throw new ApiError(res.status, b.detail || res.statusText, b.code || "error"); }
      const areas = (res.headers.get("X-Mask-Areas") || "0").split(",").map(Number);
      const w = Number(res.headers.get("X-Mask-Width")), hgt = Number(res.headers.get("X-Mask-Height"));
      const words = new Uint32Array(await res.arrayBuffer()); // little-endian on every browser platform
      if (ctl.signal.aborted) return;
      // Each choice: its count of runs, then the runs.
      const choices = [];
      for (let at = 0; at < words.length;) {
        const n = words[at];
        choices.push({ runs: words.subarray(at + 1, at + 1 + n), width: w, height: hgt, area: areas[choices.length] || 0 });
        at += 1 + n;
      }
      st.choices = choices;
      seg.segmentMs = Number((/segment;dur=([\d.]+)/.exec(res.headers.get("Server-Timing") || "") || [])[1]);
      showChoice(Math.min(choices.length - 1, Number(res.headers.get("X-Mask-Default") || 0)));
      maskInfo.dataset.ready = "1";
    } catch (err) {
      if (err.name !== "AbortError") { maskInfo.textContent = ""; showError(err); }
    }
  }

  async function applyEdit() {
    if (!seg.points.length || st.busy) return;
    st.busy = true; updateButtons();
    try {
      const choice = st.choices.length ? st.choice : null;
      st.edit = await post(`/jobs/${jobId}/segment/apply`, { action: st.action, frame: st.frame, clicks: seg.points, mode: st.mode, choice });
      seg.clearPoints();
      st.choices = [];
      maskInfo.textContent = "";
      await reloadFrame();
      markEdited(st.edit.layers > 0);
      toast(msg("refine.applied", { mode: MODES.find((m) => m[0] === st.mode)[1] }), "ok");
    } catch (err) { showError(err); }
    st.busy = false; updateButtons();
  }

  function markEdited(on) {
    const list = new Set(st.info.edited);
    if (on) list.add(st.frame); else list.delete(st.frame);
    st.info.edited = [...list];
    const b = thumbs.querySelector(`[data-frame="${st.frame}"]`);
    if (b) { b.querySelector(".dot")?.remove(); if (on) b.append(h("span", { class: "dot", title: msg("refine.edited") })); }
  }

  async function step(delta) {
    if (st.busy) return;
    st.busy = true; updateButtons();
    try {
      st.edit = await post(`/jobs/${jobId}/segment/${delta < 0 ? "undo" : "redo"}`, { action: st.action, frame: st.frame });
      await reloadFrame();
      markEdited(st.edit.layers > 0);
    } catch (err) { showError(err); }
    st.busy = false; updateButtons();
  }

  async function applyAll() {
    if (st.busy) return;
    st.busy = true; updateButtons();
    allBar.style.width = "0%";
    setText(allStatus, msg("refine.starting"));
    try {
      const started = await post(`/jobs/${jobId}/segment/apply-all`, { action: st.action, frame: st.frame });
      await new Promise((resolve) => {
        const es = new EventSource(`${API}/jobs/${jobId}/events`);
        const done = () => { es.close(); resolve(); };
        es.addEventListener("refine", (e) => {
          const ev = JSON.parse(e.data);
          const [n, total] = (ev.message || "0/1").split(" ")[0].split("/").map(Number);
          allBar.style.width = `${Math.round((100 * n) / Math.max(1, total))}%`;
          setText(allStatus, msg("refine.n_frames", { done: n, total }));
        });
        es.addEventListener("end", done);
        es.onerror = () => {
          // Fall back to polling the job until the work is over.
          es.close();
          const t = setInterval(async () => { const j = await get(`/jobs/${jobId}`).catch(() => null); if (j && !j.busy) { clearInterval(t); resolve(); } }, 1000);
        };
      });
      allBar.style.width = "100%";
      setText(allStatus, plural(started.frames, "refine.applied_more"));
      allStatus.dataset.done = "1";
      st.info = await get(`/jobs/${jobId}/actions/${st.action}/frames`);
      st.version = Date.now();
      renderThumbs();
      toast(msg("refine.applied_all"), "ok");
    } catch (err) { showError(err); allStatus.textContent = ""; }
    st.busy = false; updateButtons();
  }

  async function finish() {
    st.busy = true; updateButtons();
    try {
      await post(`/jobs/${jobId}/export`, {});
      navigate(`/job/${jobId}`);
    } catch (err) { showError(err); st.busy = false; updateButtons(); }
  }

  function onKey(e) {
    if (e.target.closest("input, textarea")) return;
    if (e.key === " ") { seg.spaceHeld = true; segVp.classList.add("grab"); if (e.target === document.body) e.preventDefault(); return; }
    if (e.key === "ArrowRight" && st.info) { e.preventDefault(); openFrame(Math.min(st.info.frame_count - 1, st.frame + 1)); }
    else if (e.key === "ArrowLeft" && st.info) { e.preventDefault(); openFrame(Math.max(0, st.frame - 1)); }
    else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); step(e.shiftKey ? 1 : -1); }
    else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "y") { e.preventDefault(); step(1); }
    else if (e.key === "Enter" && seg.points.length) { e.preventDefault(); applyEdit(); }
    else if (e.key === "Escape") clearPoints();
    else if (e.key.toLowerCase() === "c" && !e.ctrlKey && !e.metaKey && !e.altKey && st.choices.length > 1) { e.preventDefault(); cycleChoice(e.shiftKey ? -1 : 1); }
    else if (!e.ctrlKey && !e.metaKey && !e.altKey) {
      const m = { k: "keep", e: "erase", r: "restore" }[e.key.toLowerCase()];
      if (m) setMode(m);
    }
  }
  function onKeyUp(e) { if (e.key === " ") { seg.spaceHeld = false; segVp.classList.remove("grab"); } }
  document.addEventListener("keydown", onKey);
  document.addEventListener("keyup", onKeyUp);

  renderActions();
  await openAction(st.action);
  return () => { document.removeEventListener("keydown", onKey); document.removeEventListener("keyup", onKeyUp); };
}
