// Create: a character (upload or prompt), the actions, the platforms; one click starts the job.
import { get, imageSize, postWithProgress } from "../api.js";
import { navigate } from "../app.js";
import { actionLabel, h, listOf, msg, pageHead, fieldError, fmtBytes, platformLabel, showError } from "../ui.js";
import { englishFirst, errorMsg, setText, warningMsg } from "../i18n.js";
import { mountCaptions } from "../captions-editor.js";
import { mountRigEditor } from "../rig-editor.js";

const DEFAULT_ACTIONS = ["wave", "jump", "laugh", "love"];
const PROMPT_MAX = 2000; // the server's limit on a character description (routes/jobs.py)

export async function render(root) {
  const [presets, platforms, config, captionDefaults] = await Promise.all([get("/actions"), get("/platforms"), get("/config"), get("/captions")]);
  const state = {
    source: "upload",
    file: null, fileUrl: null, cutoutUrl: null, cutoutWarning: null, cutoutPending: false,
    charError: "", uploadPct: null, // an error about the image stays next to it until the user acts
    prompt: "", reference: null, referenceUrl: null,
    removeBg: true,
    rigDetected: null, rig: null, // the upload's auto-rig, and the user's edit of it (sent with the job)
    selected: new Map(), // id -> {id, motion_prompt, custom, label}
    customs: [],
    platforms: new Set(["line-emoji"]),
    submitting: false,
    key: newKey(),
  };
  for (const id of DEFAULT_ACTIONS.slice(0, 3)) {
    const p = presets.find((x) => x.id === id);
    if (p) state.selected.set(p.id, { id: p.id, motion_prompt: p.motion_prompt });
  }
  const urls = [];
  const track = (u) => { urls.push(u); return u; };

  const wrap = h("div", { class: "wrap" });
  root.append(wrap);
  wrap.append(pageHead(msg("create.title"), msg("create.subtitle")));

  // ---- 1. character --------------------------------------------------------------------------
  const charPanel = h("section", { class: "panel", id: "character" });
  const srcSeg = h("div", { class: "seg", role: "group", "aria-label": msg("create.source") },
    h("button", { type: "button", "data-source": "upload", "aria-pressed": "true", onclick: () => setSource("upload") }, msg("create.upload")),
    h("button", { type: "button", "data-source": "prompt", "aria-pressed": "false", onclick: () => setSource("prompt") }, msg("create.generate")));
  charPanel.append(h("div", { class: "step-title" }, h("span", { class: "step-num" }, "1"), h("h2", {}, msg("create.character")), h("span", { class: "aside src" }, srcSeg)));
  const charBody = h("div");
  charPanel.append(charBody);
  wrap.append(charPanel);

  function setSource(src) {
    if (state.source === src) return;
    state.source = src;
    // Switching clears the other source's input and preview.
    state.file = null; state.fileUrl = null; state.cutoutUrl = null; state.cutoutWarning = null;
    state.prompt = ""; state.reference = null; state.referenceUrl = null;
    state.charError = "";
    state.key = newKey();
    srcSeg.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.source === src)));
    renderCharacter();
    renderSummary();
  }

  function renderCharacter() {
    charBody.innerHTML = "";
    if (state.source === "upload") {
      // A real (visually hidden) file input inside the drop zone: Tab reaches it, Enter or Space opens it.
      const input = h("input", { type: "file", id: "file-input", "aria-describedby": "file-help char-error", accept: "image/png,image/jpeg,image/webp,image/gif,image/bmp,image/tiff" });
      input.addEventListener("change", () => input.files[0] && pickFile(input.files[0]));
      const drop = h("label", { class: "dropzone", for: "file-input" },
        input,
        h("div", { class: "big-icon" }, "🖼️"),
        h("b", {}, msg(state.file ? "create.drop_again" : "create.drop")),
        h("span", { class: "muted small", id: "file-help" }, msg("create.file_help", { bytes: fmtBytes(config.max_upload_bytes), mp: Math.round(config.max_image_pixels / 1e6) })));
      drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
      drop.addEventListener("dragleave", () => drop.classList.remove("over"));
      drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) pickFile(e.dataTransfer.files[0]); });
      const rb = h("input", { type: "checkbox", id: "remove-bg", checked: state.removeBg });
      rb.addEventListener("change", () => { state.removeBg = rb.checked; renderCharacter(); if (rb.checked && state.file && !state.cutoutUrl) makeCutout(); if (state.file) detectRig(); });
      const err = h("div", { class: "field-error", id: "char-error", role: "alert", hidden: !state.charError }, state.charError || null);
      const progress = state.uploadPct === null ? null : h("div", { class: "upload-progress", id: "upload-progress" },
        h("span", {}, msg("create.uploading", { pct: state.uploadPct })), h("div", { class: "bar" }, h("i", { style: { width: `${state.uploadPct}%` } })));
      const left = h("div", {}, drop, err, progress, h("div", { class: "row", style: { marginTop: "12px" } },
        h("label", { class: "check" }, rb, msg("create.remove_bg")),
        h("span", { class: "muted small" }, msg("create.remove_bg_hint"))));
      const orig = h("div", { class: "preview-box" },
        h("div", { class: "img plain" }, state.fileUrl ? h("img", { src: state.fileUrl, alt: msg("create.your_image"), id: "original-preview", decoding: "async" }) : h("div", { class: "placeholder" }, msg("create.your_image_ph"))),
        h("div", { class: "cap" }, h("span", {}, msg("create.original")), h("span", {}, state.file ? fmtBytes(state.file.size) : "")));
      let cutInner;
      if (!state.removeBg) cutInner = h("div", { class: "placeholder" }, msg("create.bg_kept"));
      else if (state.cutoutPending) cutInner = h("div", { class: "spinner", "aria-label": msg("create.cutting_out") });
      else if (state.cutoutUrl) cutInner = h("img", { src: state.cutoutUrl, alt: msg("create.cutout_alt"), id: "cutout-preview" });
      else cutInner = h("div", { class: "placeholder" }, msg("create.cutout_ph"));
      const cut = h("div", { class: "preview-box" }, h("div", { class: "img" }, cutInner),
        h("div", { class: "cap" }, h("span", {}, msg("create.cutout_preview")), state.cutoutWarning
          ? h("span", { class: "warn", id: "cutout-warning", title: state.cutoutWarning }, "⚠ ", state.cutoutWarning)
          : h("span", {}, state.cutoutUrl ? "✓" : "")));
      charBody.append(h("div", { class: "char-grid" }, left, h("div", { class: "previews" }, orig, cut)));
      if (state.file && state.rigDetected) {
        const host = h("div", { class: "rig-host" });
        charBody.append(host);
        mountRigEditor(host, { imageUrl: state.cutoutUrl || state.fileUrl, detected: state.rigDetected, rig: state.rig,
          onChange: (rig) => { state.rig = rig; state.key = newKey(); } });
      }
    } else {
      // No maxlength: a browser would cut a long paste silently. The counter says how long it is and
      // the form says what to do when it is over the server's limit.
      const ta = h("textarea", { id: "prompt", rows: 4, placeholder: msg("create.prompt_ph"), "aria-describedby": "prompt-count" });
      ta.value = state.prompt;
      const count = h("span", { class: "small muted", id: "prompt-count", "aria-live": "polite" });
      const showCount = () => {
        const n = state.prompt.trim().length;
        setText(count, msg(n > PROMPT_MAX ? "create.prompt_over" : "create.prompt_count", { n, max: PROMPT_MAX }));
        count.classList.toggle("err", n > PROMPT_MAX);
      };
      showCount();
      ta.addEventListener("input", () => { state.prompt = ta.value; showCount(); renderSummary(); });
      const ref = h("input", { type: "file", id: "reference-input", accept: "image/*", hidden: true });
      ref.addEventListener("change", () => {
        const f = ref.files[0];
        state.reference = f || null;
        state.referenceUrl = f ? track(URL.createObjectURL(f)) : null;
        state.key = newKey();
        renderCharacter();
      });
      const refBox = h("div", { class: "preview-box" },
        h("div", { class: "img plain" }, state.referenceUrl ? h("img", { src: state.referenceUrl, alt: msg("create.reference_alt") }) : h("div", { class: "placeholder" }, msg("create.reference_ph"))),
        h("div", { class: "cap" }, h("span", {}, msg("create.reference")), state.reference ? h("button", { class: "btn small ghost", type: "button", onclick: () => { state.reference = null; state.referenceUrl = null; renderCharacter(); } }, msg("create.remove")) : ""));
      charBody.append(h("div", { class: "char-grid" },
        h("div", {}, h("label", { class: "field" }, h("span", {}, msg("create.describe")), ta), count,
          h("div", { class: "field" }, h("span", {}, msg("create.reference_label")),
            h("label", { class: "btn small", for: "reference-input" }, ref, state.reference ? msg("create.reference_change", { name: state.reference.name.slice(0, 28) }) : msg("create.reference_choose"))),
          config.offline ? h("p", { class: "muted small" }, msg("create.offline_note")) : null),
        refBox));
    }
  }

  // Checks that need no upload (bytes, pixels from the header) come first: a 12000x12000 image is refused
  // at once, with the reason next to the drop zone, and the page never decodes it.
  async function pickFile(file) {
    state.charError = "";
    let why = "";
    if (file.size > config.max_upload_bytes) why = msg("create.err_bytes", { name: file.name, size: fmtBytes(file.size), limit: fmtBytes(config.max_upload_bytes) });
    else if (!file.size) why = msg("create.err_empty", { name: file.name });
    else {
      const dim = await imageSize(file).catch(() => null);
      if (dim && dim.width * dim.height > config.max_image_pixels) {
        why = msg("create.err_pixels", { name: file.name, w: dim.width, h: dim.height, mp: (dim.width * dim.height / 1e6).toFixed(0), limit: Math.round(config.max_image_pixels / 1e6) });
      }
    }
    if (why) {
      state.charError = why;
      renderCharacter();
      renderSummary();
      return;
    }
    state.file = file;
    state.fileUrl = track(URL.createObjectURL(file));
    state.cutoutUrl = null; state.cutoutWarning = null;
    state.key = newKey();
    renderCharacter();
    renderSummary();
    if (state.removeBg) makeCutout();
    detectRig();
  }

  async function detectRig() {
    const file = state.file;
    state.rigDetected = null; state.rig = null;
    try {
      const fd = new FormData();
      fd.append("image", file);
      fd.append("remove_background", String(state.removeBg));
      const rig = await postWithProgress("/rig", fd);
      if (state.file === file) { state.rigDetected = rig; if (!state.cutoutPending) renderCharacter(); }
    } catch (err) {
      // An image the server refuses is explained next to it by the cut-out request; say anything else.
      if (state.file === file && !(err.status >= 400 && err.status < 500)) showError(err);
    }
  }

  async function makeCutout() {
    const file = state.file;
    state.cutoutPending = true;
    renderCharacter();
    try {
      const fd = new FormData();
      fd.append("image", file);
      let warning = null;
      const blob = await postWithProgress("/cutout", fd, {
        blob: true,
        onProgress: (sent, total) => showProgress(file, sent, total),
        onResponse: (xhr) => { warning = warningMsg(xhr.getResponseHeader("X-Matte-Warning-Code"), xhr.getResponseHeader("X-Matte-Warning")); },
      });
      if (state.file === file) { state.cutoutUrl = track(URL.createObjectURL(blob)); state.cutoutWarning = warning; }
    } catch (err) {
      if (state.file === file) {
        // The server refused the image: say why next to it; the form keeps everything else.
        state.charError = errorMsg(err);
        if (err.status >= 400) { state.file = null; state.fileUrl = null; }
      }
    } finally {
      if (state.file === file || !state.file) { state.cutoutPending = false; state.uploadPct = null; }
      renderCharacter();
      renderSummary();
    }
  }

  // Upload progress for big files; updates the bar in place (no re-render while the user works).
  function showProgress(file, sent, total) {
    if (state.file !== file || !total || total < 256 * 1024) return;
    const pct = Math.min(100, Math.round((100 * sent) / total));
    const first = state.uploadPct === null;
    state.uploadPct = pct;
    const box = document.getElementById("upload-progress");
    if (first || !box) { renderCharacter(); return; }
    setText(box.querySelector("span"), msg("create.uploading", { pct }));
    box.querySelector(".bar i").style.width = `${pct}%`;
  }

  // ---- 2. actions ------------------------------------------------------------------------------
  const actPanel = h("section", { class: "panel", id: "actions" });
  const actCount = h("span", { class: "aside" });
  actPanel.append(h("div", { class: "step-title" }, h("span", { class: "step-num" }, "2"), h("h2", {}, msg("create.actions")), actCount));
  actPanel.append(h("p", { class: "muted small", style: { marginTop: "-6px" } }, msg("create.actions_hint")));
  const grid = h("div", { class: "actions-grid" });
  actPanel.append(grid);
  const cName = h("input", { type: "text", id: "custom-name", placeholder: msg("create.custom_name_ph"), maxlength: 32, "aria-describedby": "custom-error" });
  const cPrompt = h("input", { type: "text", id: "custom-prompt", placeholder: msg("create.custom_prompt_ph"), maxlength: 800, "aria-describedby": "custom-error" });
  const cAdd = h("button", { class: "btn", type: "button", onclick: addCustom }, msg("create.custom_add"));
  const cError = h("div", { class: "field-error", id: "custom-error", role: "alert", hidden: true });
  for (const el of [cName, cPrompt]) el.addEventListener("input", () => fieldError(cError, ""));
  actPanel.append(h("div", { class: "custom-row" },
    h("label", { class: "field", for: "custom-name" }, h("span", {}, msg("create.custom_name")), cName),
    h("label", { class: "field", for: "custom-prompt" }, h("span", {}, msg("create.custom_prompt")), cPrompt), cAdd), cError);
  const setWarn = h("div", { class: "set-warning", id: "set-warning", role: "status", hidden: true });
  actPanel.append(setWarn);
  wrap.append(actPanel);

  function addCustom() {
    const id = cName.value.trim().toLowerCase().replace(/\s+/g, "-");
    const prompt = cPrompt.value.trim();
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(id)) return fieldError(cError, msg("create.custom_err_name"));
    if (!prompt) return fieldError(cError, msg("create.custom_err_prompt"));
    if (presets.some((p) => p.id === id) || state.customs.some((c) => c.id === id)) return fieldError(cError, msg("create.custom_err_exists", { id }));
    fieldError(cError, "");
    const c = { id, label: cName.value.trim(), emoji: "✨", motion_prompt: prompt, seconds: 2, custom: true };
    state.customs.push(c);
    state.selected.set(id, { id, motion_prompt: prompt, custom: true, label: c.label });
    cName.value = ""; cPrompt.value = "";
    state.key = newKey();
    renderActions();
  }

  // Re-rendering a list replaces its controls: put keyboard focus back on the one the user was on
  // (found by its data attribute), so the next Tab continues from there, not from the top of the page.
  function refocus(container, attr, draw) {
    const active = document.activeElement;
    const inside = active && container.contains(active) ? active.closest(`[${attr}]`) : null;
    const value = inside ? inside.getAttribute(attr) : null;
    const onBox = inside && active.matches("input");
    draw();
    if (value === null) return;
    const card = container.querySelector(`[${attr}="${CSS.escape(value)}"]`);
    const target = onBox || !card ? container.querySelector(`input[${attr.replace("-card", "")}="${CSS.escape(value)}"]`) : card.querySelector("input") || card;
    if (target) target.focus();
  }

  function renderActions() {
    refocus(grid, "data-action-card", drawActions);
  }

  function drawActions() {
    grid.innerHTML = "";
    for (const p of [...presets, ...state.customs]) {
      const on = state.selected.has(p.id);
      const box = h("input", { type: "checkbox", checked: on, "aria-label": actionLabel(p), "data-action": p.id });
      const card = h("div", { class: `action-card${on ? " on" : ""}`, "data-action-card": p.id });
      const toggle = () => {
        if (state.selected.has(p.id)) state.selected.delete(p.id);
        else state.selected.set(p.id, { id: p.id, motion_prompt: p.motion_prompt, custom: !!p.custom, label: p.label });
        state.key = newKey();
        renderActions();
      };
      box.addEventListener("click", (e) => { e.stopPropagation(); toggle(); });
      const head = h("div", { class: "head", onclick: toggle }, box, h("span", { class: "emoji" }, p.emoji || "✨"),
        h("span", { class: "name" }, actionLabel(p)), p.custom ? h("span", { class: "tag" }, msg("create.custom_tag")) : null, h("span", { class: "secs" }, msg("time.sec", { s: p.seconds })));
      card.append(head);
      if (on) {
        const ta = h("textarea", { "aria-label": msg("create.motion_prompt", { action: actionLabel(p) }), maxlength: 800, rows: 3, translate: "no" });
        ta.value = state.selected.get(p.id).motion_prompt;
        ta.addEventListener("input", () => { state.selected.get(p.id).motion_prompt = ta.value; state.key = newKey(); fitText(ta); });
        card.append(ta);
        requestAnimationFrame(() => fitText(ta)); // the whole prompt shows: the box grows to its text
      }
      grid.append(card);
    }
    setText(actCount, msg("create.selected", { n: state.selected.size }));
    renderSetWarning();
    renderSummary();
  }

  // The platform's set size rule, checked as actions are picked (not only after export).
  function setProblems() {
    const n = state.selected.size, out = [];
    for (const p of platforms) {
      if (!state.platforms.has(p.id)) continue;
      if (n < p.set_min) out.push({ p, need: p.set_min, text: msg("create.set_min", { name: platformLabel({}, p.id), min: p.set_min, n }) });
      else if (n > p.set_max) out.push({ p, need: 0, text: msg("create.set_max", { name: platformLabel({}, p.id), max: p.set_max, n }) });
      else if (p.set_sizes.length && !p.set_sizes.includes(n)) {
        const next = p.set_sizes.find((x) => x > n);
        out.push({ p, need: next || 0, text: msg("create.set_sizes", { name: platformLabel({}, p.id), sizes: p.set_sizes.join(", "), n }) });
      }
    }
    return out;
  }

  function renderSetWarning() {
    const probs = setProblems();
    setWarn.innerHTML = "";
    setWarn.hidden = !probs.length;
    if (!probs.length) return;
    setWarn.append(h("ul", {}, probs.map((x) => h("li", {}, x.text))));
    const need = Math.max(0, ...probs.map((x) => x.need)) - state.selected.size;
    const spare = presets.filter((p) => !state.selected.has(p.id));
    if (need > 0 && spare.length) {
      const add = spare.slice(0, need);
      setWarn.append(h("button", { class: "btn small", type: "button", id: "add-suggested", onclick: () => {
        for (const p of add) state.selected.set(p.id, { id: p.id, motion_prompt: p.motion_prompt });
        state.key = newKey();
        renderActions();
      } }, msg("create.add_suggested", { n: add.length, emoji: add.map((p) => p.emoji).join(" ") })));
    }
    setWarn.append(h("span", { class: "muted small" }, msg("create.smaller_ok")));
  }

  // ---- 3. platforms ----------------------------------------------------------------------------
  const platPanel = h("section", { class: "panel", id: "platforms" });
  platPanel.append(h("div", { class: "step-title" }, h("span", { class: "step-num" }, "3"), h("h2", {}, msg("create.platforms"))));
  const plats = h("div", { class: "platforms" });
  platPanel.append(plats);
  wrap.append(platPanel);

  function renderPlatforms() {
    refocus(plats, "data-platform-card", drawPlatforms);
  }

  function drawPlatforms() {
    plats.innerHTML = "";
    for (const p of platforms) {
      const on = state.platforms.has(p.id);
      const box = h("input", { type: "checkbox", checked: on, disabled: !p.implemented, "data-platform": p.id });
      box.addEventListener("change", () => {
        if (box.checked) state.platforms.add(p.id); else state.platforms.delete(p.id);
        state.key = newKey();
        renderPlatforms();
        renderSetWarning();
      });
      plats.append(h("label", { class: `platform${on ? " on" : ""}${p.implemented ? "" : " off"}`, "data-platform-card": p.id }, box,
        h("div", {}, h("div", { class: "name" }, h("b", {}, platformLabel({}, p.id))),
          h("div", { class: "meta" }, p.implemented ? msg(p.set_min === p.set_max ? "create.platform_meta_fixed" : "create.platform_meta", { w: p.width, h: p.height, min: p.set_min, max: p.set_max }) : msg("create.coming_soon")))));
    }
    renderSummary();
  }

  // ---- 4. captions ---------------------------------------------------------------------------
  const capHost = h("div");
  wrap.append(capHost);
  const captions = mountCaptions(capHost, captionDefaults, platforms);
  capHost.addEventListener("captions", () => { state.key = newKey(); renderSummary(); });

  // ---- submit ----------------------------------------------------------------------------------
  const summary = h("span", { class: "summary" });
  const cost = h("span", { class: "summary cost" }, config.offline ? msg("create.free") : msg("create.cost", { text: msg("create.cost_pending") }));
  const submit = h("button", { class: "btn primary big", id: "submit", type: "button", onclick: onSubmit }, msg("create.submit"));
  const submitError = h("div", { class: "field-error", id: "submit-error", role: "alert", hidden: true });
  const bar = h("div", { class: "panel submit-bar" }, submit, summary, h("span", { class: "spacer" }), cost, submitError);
  wrap.append(bar);

  function ready() {
    if (state.source === "upload" && !state.file) return msg("create.need_image");
    if (state.source === "prompt" && !state.prompt.trim()) return msg("create.need_prompt");
    if (state.source === "prompt" && state.prompt.trim().length > PROMPT_MAX) return msg("create.need_shorter", { max: PROMPT_MAX });
    if (!state.selected.size) return msg("create.need_action");
    if (!state.platforms.size) return msg("create.need_platform");
    if (captions.problem()) return captions.problem();
    return "";
  }

  function renderSummary() {
    const why = ready();
    submit.disabled = !!why || state.submitting;
    setText(submit, state.submitting ? (state.submitPct !== undefined && state.submitPct < 100 ? msg("create.uploading_dots", { pct: state.submitPct }) : msg("create.starting")) : msg("create.submit"));
    const names = platforms.filter((p) => state.platforms.has(p.id)).map((p) => platformLabel({}, p.id));
    setText(summary, why || msg("create.summary", { n: state.selected.size, names: listOf(names) }));
    captions.update([...state.selected.values()].map((a) => { const p = presets.find((x) => x.id === a.id) || state.customs.find((x) => x.id === a.id) || a; return { id: a.id, emoji: p.emoji, label: actionLabel(p) }; }), state.platforms);
    if (!config.offline) refreshEstimate();
  }

  // A paid provider is configured: show what this set would cost before it is created.
  let estimateFor = "";
  async function refreshEstimate() {
    const key = `${state.selected.size}:${state.source === "prompt"}`;
    if (key === estimateFor) return;
    estimateFor = key;
    try {
      const est = await get(`/estimate?actions=${state.selected.size}&from_prompt=${state.source === "prompt"}`);
      if (key === estimateFor) setText(cost, costText(est));
    } catch (e) {
      setText(cost, msg("create.cost_unknown"));
    }
  }

  async function onSubmit() {
    if (state.submitting || ready()) return;
    state.submitting = true;
    state.submitPct = undefined;
    fieldError(submitError, "");
    renderSummary();
    const fd = new FormData();
    if (state.source === "upload") {
      fd.append("image", state.file);
      if (state.rig) fd.append("rig", JSON.stringify(state.rig));
    } else {
      fd.append("prompt", state.prompt.trim());
      if (state.reference) fd.append("reference", state.reference);
    }
    fd.append("remove_background", state.source === "upload" ? String(state.removeBg) : "true");
    fd.append("actions", JSON.stringify([...state.selected.values()]));
    fd.append("platforms", [...state.platforms].join(","));
    fd.append("captions", JSON.stringify(captions.value()));
    try {
      // The same key for this exact form: a double click or a retry after a network error returns the same job.
      const job = await postWithProgress("/jobs", fd, {
        headers: { "Idempotency-Key": state.key },
        onProgress: (sent, total) => { if (total) { state.submitPct = Math.round((100 * sent) / total); renderSummary(); } },
      });
      navigate(`/job/${job.id}`);
    } catch (err) {
      fieldError(submitError, errorMsg(err)); // stays next to the button until the next try
      state.submitting = false;
      renderSummary();
    }
  }

  renderCharacter();
  renderActions();
  renderPlatforms();
  return () => { captions.close(); urls.forEach((u) => URL.revokeObjectURL(u)); };
}

/** GET /estimate in the page's language: the totals (and whether some model has no listed price); an
 *  English page shows the server's sentence, which also says why a price is missing. */
export function costText(est) {
  if (est.offline) return msg("create.free");
  const amount = Object.entries(est.totals).sort().map(([cur, n]) => `${cur} ${n.toFixed(2)}`).join(" + ");
  const unpriced = est.lines.some((l) => l.cost === null || !l.currency);
  const key = !amount ? "create.cost_unknown_price" : unpriced ? "create.cost_about_partial" : "create.cost_about";
  return msg("create.cost", { text: englishFirst(est.text, msg(key, { amount })) });
}

function fitText(ta) {
  ta.style.height = "auto";
  ta.style.height = `${ta.scrollHeight + 2}px`;
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
