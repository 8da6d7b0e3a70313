// Create: a character (upload or prompt), the actions, the platforms; one click starts the job.
import { get, imageSize, postWithProgress } from "../api.js";
import { navigate } from "../app.js";
import { h, pageHead, fieldError, fmtBytes, showError } from "../ui.js";
import { mountRigEditor } from "../rig-editor.js";

const DEFAULT_ACTIONS = ["wave", "jump", "laugh", "love"];
const PROMPT_MAX = 2000; // the server's limit on a character description (routes/jobs.py)

export async function render(root) {
  const [presets, platforms, config] = await Promise.all([get("/actions"), get("/platforms"), get("/config")]);
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
  wrap.append(pageHead("Make an emoji set", "One character in, a set of animated emoji out: pick what it does, we animate, cut out and package it."));

  // ---- 1. character --------------------------------------------------------------------------
  const charPanel = h("section", { class: "panel", id: "character" });
  const srcSeg = h("div", { class: "seg", role: "group", "aria-label": "Character source" },
    h("button", { type: "button", "data-source": "upload", "aria-pressed": "true", onclick: () => setSource("upload") }, "Upload image"),
    h("button", { type: "button", "data-source": "prompt", "aria-pressed": "false", onclick: () => setSource("prompt") }, "Generate from prompt"));
  charPanel.append(h("div", { class: "step-title" }, h("span", { class: "step-num" }, "1"), h("h2", {}, "Character"), h("span", { class: "aside src" }, srcSeg)));
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
        h("b", {}, state.file ? "Choose another image" : "Drop your character here, or click to choose"),
        h("span", { class: "muted small", id: "file-help" }, `PNG, JPEG, WebP, GIF, BMP or TIFF · up to ${fmtBytes(config.max_upload_bytes)} and ${Math.round(config.max_image_pixels / 1e6)} megapixels · full body works best`));
      drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
      drop.addEventListener("dragleave", () => drop.classList.remove("over"));
      drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) pickFile(e.dataTransfer.files[0]); });
      const rb = h("input", { type: "checkbox", id: "remove-bg", checked: state.removeBg });
      rb.addEventListener("change", () => { state.removeBg = rb.checked; renderCharacter(); if (rb.checked && state.file && !state.cutoutUrl) makeCutout(); if (state.file) detectRig(); });
      const err = h("div", { class: "field-error", id: "char-error", role: "alert", hidden: !state.charError }, state.charError);
      const progress = state.uploadPct === null ? null : h("div", { class: "upload-progress", id: "upload-progress" },
        h("span", {}, `Uploading ${state.uploadPct}%`), h("div", { class: "bar" }, h("i", { style: { width: `${state.uploadPct}%` } })));
      const left = h("div", {}, drop, err, progress, h("div", { class: "row", style: { marginTop: "12px" } },
        h("label", { class: "check" }, rb, "Remove the background"),
        h("span", { class: "muted small" }, "(skip it for images that already have transparency)")));
      const orig = h("div", { class: "preview-box" },
        h("div", { class: "img plain" }, state.fileUrl ? h("img", { src: state.fileUrl, alt: "your image", id: "original-preview", decoding: "async" }) : h("div", { class: "placeholder" }, "Your image")),
        h("div", { class: "cap" }, h("span", {}, "Original"), h("span", {}, state.file ? fmtBytes(state.file.size) : "")));
      let cutInner;
      if (!state.removeBg) cutInner = h("div", { class: "placeholder" }, "Background kept as is");
      else if (state.cutoutPending) cutInner = h("div", { class: "spinner", "aria-label": "cutting out" });
      else if (state.cutoutUrl) cutInner = h("img", { src: state.cutoutUrl, alt: "cut-out preview", id: "cutout-preview" });
      else cutInner = h("div", { class: "placeholder" }, "The cut-out appears here");
      const cut = h("div", { class: "preview-box" }, h("div", { class: "img" }, cutInner),
        h("div", { class: "cap" }, h("span", {}, "Cut-out preview"), state.cutoutWarning
          ? h("span", { class: "warn", id: "cutout-warning", title: state.cutoutWarning }, `⚠ ${state.cutoutWarning}`)
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
      const ta = h("textarea", { id: "prompt", rows: 4, placeholder: "e.g. a chubby orange cat in a green hoodie, big eyes, full body", "aria-describedby": "prompt-count" });
      ta.value = state.prompt;
      const count = h("span", { class: "small muted", id: "prompt-count", "aria-live": "polite" });
      const showCount = () => {
        const n = state.prompt.trim().length;
        count.textContent = n > PROMPT_MAX ? `${n} characters: shorten it to ${PROMPT_MAX}` : `${n} / ${PROMPT_MAX} characters`;
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
        h("div", { class: "img plain" }, state.referenceUrl ? h("img", { src: state.referenceUrl, alt: "reference" }) : h("div", { class: "placeholder" }, "Optional reference image")),
        h("div", { class: "cap" }, h("span", {}, "Reference"), state.reference ? h("button", { class: "btn small ghost", type: "button", onclick: () => { state.reference = null; state.referenceUrl = null; renderCharacter(); } }, "Remove") : ""));
      charBody.append(h("div", { class: "char-grid" },
        h("div", {}, h("label", { class: "field" }, h("span", {}, "Describe your character"), ta), count,
          h("div", { class: "field" }, h("span", {}, "Reference image (optional: keeps the look of an existing character)"),
            h("label", { class: "btn small", for: "reference-input" }, ref, state.reference ? `Change (${state.reference.name.slice(0, 28)})` : "Choose a reference image")),
          config.offline ? h("p", { class: "muted small" }, "Offline mode: the character is drawn by the built-in procedural generator.") : null),
        refBox));
    }
  }

  // Checks that need no upload (bytes, pixels from the header) come first: a 12000x12000 image is refused
  // at once, with the reason next to the drop zone, and the page never decodes it.
  async function pickFile(file) {
    state.charError = "";
    let why = "";
    if (file.size > config.max_upload_bytes) why = `${file.name} is ${fmtBytes(file.size)}; the limit is ${fmtBytes(config.max_upload_bytes)}.`;
    else if (!file.size) why = `${file.name} is empty.`;
    else {
      const dim = await imageSize(file).catch(() => null);
      if (dim && dim.width * dim.height > config.max_image_pixels) {
        why = `${file.name} is ${dim.width}×${dim.height} (${(dim.width * dim.height / 1e6).toFixed(0)} megapixels); the limit is ${Math.round(config.max_image_pixels / 1e6)} megapixels. Scale it down and try again.`;
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
        onResponse: (xhr) => { warning = xhr.getResponseHeader("X-Matte-Warning"); },
      });
      if (state.file === file) { state.cutoutUrl = track(URL.createObjectURL(blob)); state.cutoutWarning = warning; }
    } catch (err) {
      if (state.file === file) {
        // The server refused the image: say why next to it; the form keeps everything else.
        state.charError = err.message;
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
    box.querySelector("span").textContent = `Uploading ${pct}%`;
    box.querySelector(".bar i").style.width = `${pct}%`;
  }

  // ---- 2. actions ------------------------------------------------------------------------------
  const actPanel = h("section", { class: "panel", id: "actions" });
  const actCount = h("span", { class: "aside" });
  actPanel.append(h("div", { class: "step-title" }, h("span", { class: "step-num" }, "2"), h("h2", {}, "Actions"), actCount));
  actPanel.append(h("p", { class: "muted small", style: { marginTop: "-6px" } }, "Each action becomes one animated emoji. Tweak the motion prompt to change how it moves."));
  const grid = h("div", { class: "actions-grid" });
  actPanel.append(grid);
  const cName = h("input", { type: "text", id: "custom-name", placeholder: "e.g. moonwalk", maxlength: 32, "aria-describedby": "custom-error" });
  const cPrompt = h("input", { type: "text", id: "custom-prompt", placeholder: "e.g. slides backwards while stepping in place", maxlength: 800, "aria-describedby": "custom-error" });
  const cAdd = h("button", { class: "btn", type: "button", onclick: addCustom }, "+ Add custom action");
  const cError = h("div", { class: "field-error", id: "custom-error", role: "alert", hidden: true });
  for (const el of [cName, cPrompt]) el.addEventListener("input", () => fieldError(cError, ""));
  actPanel.append(h("div", { class: "custom-row" },
    h("label", { class: "field", for: "custom-name" }, h("span", {}, "Custom action name"), cName),
    h("label", { class: "field", for: "custom-prompt" }, h("span", {}, "How it moves"), cPrompt), cAdd), cError);
  const setWarn = h("div", { class: "set-warning", id: "set-warning", role: "status", hidden: true });
  actPanel.append(setWarn);
  wrap.append(actPanel);

  function addCustom() {
    const id = cName.value.trim().toLowerCase().replace(/\s+/g, "-");
    const prompt = cPrompt.value.trim();
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(id)) return fieldError(cError, "Name: lowercase letters, digits, - or _ (start with a letter)");
    if (!prompt) return fieldError(cError, "Describe the motion of the custom action");
    if (presets.some((p) => p.id === id) || state.customs.some((c) => c.id === id)) return fieldError(cError, `${id} already exists`);
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
      const box = h("input", { type: "checkbox", checked: on, "aria-label": p.label, "data-action": p.id });
      const card = h("div", { class: `action-card${on ? " on" : ""}`, "data-action-card": p.id });
      const toggle = () => {
        if (state.selected.has(p.id)) state.selected.delete(p.id);
        else state.selected.set(p.id, { id: p.id, motion_prompt: p.motion_prompt, custom: !!p.custom, label: p.label });
        state.key = newKey();
        renderActions();
      };
      box.addEventListener("click", (e) => { e.stopPropagation(); toggle(); });
      const head = h("div", { class: "head", onclick: toggle }, box, h("span", { class: "emoji" }, p.emoji || "✨"),
        h("span", { class: "name" }, p.label), p.custom ? h("span", { class: "tag" }, "custom") : null, h("span", { class: "secs" }, `${p.seconds}s`));
      card.append(head);
      if (on) {
        const ta = h("textarea", { "aria-label": `${p.label} motion prompt`, maxlength: 800, rows: 3 });
        ta.value = state.selected.get(p.id).motion_prompt;
        ta.addEventListener("input", () => { state.selected.get(p.id).motion_prompt = ta.value; state.key = newKey(); fitText(ta); });
        card.append(ta);
        requestAnimationFrame(() => fitText(ta)); // the whole prompt shows: the box grows to its text
      }
      grid.append(card);
    }
    actCount.textContent = `${state.selected.size} selected`;
    renderSetWarning();
    renderSummary();
  }

  // The platform's set size rule, checked as actions are picked (not only after export).
  function setProblems() {
    const n = state.selected.size, out = [];
    for (const p of platforms) {
      if (!state.platforms.has(p.id)) continue;
      if (n < p.set_min) out.push({ p, need: p.set_min, text: `${p.name} needs at least ${p.set_min} emoji in a set to be submitted; ${n} picked.` });
      else if (n > p.set_max) out.push({ p, need: 0, text: `${p.name} takes at most ${p.set_max} per set; ${n} picked.` });
      else if (p.set_sizes.length && !p.set_sizes.includes(n)) {
        const next = p.set_sizes.find((x) => x > n);
        out.push({ p, need: next || 0, text: `${p.name} sets have ${p.set_sizes.join(", ")} items; ${n} picked.` });
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
      } }, `Add ${add.length} suggested: ${add.map((p) => p.emoji).join(" ")}`));
    }
    setWarn.append(h("span", { class: "muted small" }, "You can still make a smaller set to try things out."));
  }

  // ---- 3. platforms ----------------------------------------------------------------------------
  const platPanel = h("section", { class: "panel", id: "platforms" });
  platPanel.append(h("div", { class: "step-title" }, h("span", { class: "step-num" }, "3"), h("h2", {}, "Where will you use it?")));
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
        h("div", {}, h("div", { class: "name" }, h("b", {}, p.name)),
          h("div", { class: "meta" }, p.implemented ? `${p.width}×${p.height} · ${p.set_min}–${p.set_max} per set` : "coming soon"))));
    }
    renderSummary();
  }

  // ---- submit ----------------------------------------------------------------------------------
  const summary = h("span", { class: "summary" });
  const cost = h("span", { class: "summary cost" }, config.offline ? "Free · runs offline on this machine" : `Cost: ${config.cost_estimate}`);
  const submit = h("button", { class: "btn primary big", id: "submit", type: "button", onclick: onSubmit }, "Create emoji set");
  const submitError = h("div", { class: "field-error", id: "submit-error", role: "alert", hidden: true });
  const bar = h("div", { class: "panel submit-bar" }, submit, summary, h("span", { class: "spacer" }), cost, submitError);
  wrap.append(bar);

  function ready() {
    if (state.source === "upload" && !state.file) return "Add a character image";
    if (state.source === "prompt" && !state.prompt.trim()) return "Describe your character";
    if (state.source === "prompt" && state.prompt.trim().length > PROMPT_MAX) return `Shorten the description to ${PROMPT_MAX} characters`;
    if (!state.selected.size) return "Pick at least one action";
    if (!state.platforms.size) return "Pick a platform";
    return "";
  }

  function renderSummary() {
    const why = ready();
    submit.disabled = !!why || state.submitting;
    submit.textContent = state.submitting ? (state.submitPct !== undefined && state.submitPct < 100 ? `Uploading ${state.submitPct}%…` : "Starting…") : "Create emoji set";
    const names = platforms.filter((p) => state.platforms.has(p.id)).map((p) => p.name);
    summary.textContent = why || `${state.selected.size} emoji for ${names.join(", ")}`;
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
      if (key === estimateFor) cost.textContent = `Cost: ${est.text}`;
    } catch (e) {
      cost.textContent = "Cost: estimate unavailable";
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
    try {
      // The same key for this exact form: a double click or a retry after a network error returns the same job.
      const job = await postWithProgress("/jobs", fd, {
        headers: { "Idempotency-Key": state.key },
        onProgress: (sent, total) => { if (total) { state.submitPct = Math.round((100 * sent) / total); renderSummary(); } },
      });
      navigate(`/job/${job.id}`);
    } catch (err) {
      fieldError(submitError, err.message); // stays next to the button until the next try
      state.submitting = false;
      renderSummary();
    }
  }

  renderCharacter();
  renderActions();
  renderPlatforms();
  return () => urls.forEach((u) => URL.revokeObjectURL(u));
}

function fitText(ta) {
  ta.style.height = "auto";
  ta.style.height = `${ta.scrollHeight + 2}px`;
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
