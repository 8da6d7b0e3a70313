// The create page's captions: a language, a motion, and one editable caption per chosen action,
// prefilled with that action's default caption (GET /api/v1/captions). What it returns is the job's
// `captions` form field, the same choice as the CLI's --caption / --caption-lang / --no-captions.
import { h, msg } from "./ui.js";
import { language, onLanguage, setText } from "./i18n.js";

const MOTIONS = ["pop", "bounce", "none"];

/** Mount in `host`; `defaults` is GET /captions, `platforms` the platform list (each with its kind). */
export function mountCaptions(host, defaults, platforms) {
  const langs = Object.keys(defaults.languages);
  const pick = (code) => (langs.includes(code) ? code : "en");
  const st = {
    enabled: true, onEmoji: false, motion: "pop", lang: pick(language()), langTouched: false,
    actions: [], chosen: new Set(), typed: new Map(), // action id -> what the user typed (kept across language changes)
  };

  const enabled = h("input", { type: "checkbox", id: "captions-enabled", checked: true });
  const onEmoji = h("input", { type: "checkbox", id: "captions-on-emoji" });
  const langSel = h("select", { id: "caption-lang", translate: "no" },
    langs.map((code) => h("option", { value: code, lang: code }, defaults.languages[code])));
  const motionSel = h("select", { id: "caption-motion" }, MOTIONS.map((m) => h("option", { value: m }, msg(`captions.motion_${m}`))));
  const note = h("p", { class: "muted small", id: "captions-note" });
  const list = h("div", { class: "caption-list", id: "caption-list" });
  langSel.value = st.lang;
  enabled.addEventListener("change", () => { st.enabled = enabled.checked; draw(); });
  onEmoji.addEventListener("change", () => { st.onEmoji = onEmoji.checked; draw(); });
  langSel.addEventListener("change", () => { st.lang = langSel.value; st.langTouched = true; draw(); });
  motionSel.addEventListener("change", () => { st.motion = motionSel.value; });
  // The caption language follows the page's until the user picks one.
  const off = onLanguage((code) => { if (!st.langTouched) { st.lang = pick(code); langSel.value = st.lang; draw(); } });

  host.append(h("section", { class: "panel", id: "captions" },
    h("div", { class: "step-title" }, h("span", { class: "step-num" }, "4"), h("h2", {}, msg("captions.title"))),
    h("p", { class: "muted small", style: { marginTop: "-6px" } }, msg("captions.hint")),
    h("div", { class: "row caption-opts" },
      h("label", { class: "check" }, enabled, msg("captions.enabled")),
      h("label", { class: "field inline", for: "caption-lang" }, h("span", {}, msg("captions.lang")), langSel),
      h("label", { class: "field inline", for: "caption-motion" }, h("span", {}, msg("captions.motion")), motionSel),
      h("label", { class: "check" }, onEmoji, msg("captions.on_emoji"))),
    note, list));

  function fallback(id) {
    const known = defaults.captions[id];
    return known ? known[st.lang] || "" : "";
  }

  function text(id) { return st.typed.has(id) ? st.typed.get(id) : fallback(id); }

  function draw() {
    langSel.disabled = motionSel.disabled = onEmoji.disabled = !st.enabled;
    const kinds = platforms.filter((p) => st.chosen.has(p.id)).map((p) => p.kind);
    const bare = kinds.length && kinds.every((k) => k === "emoji") && !st.onEmoji;
    setText(note, !st.enabled ? msg("captions.off") : bare ? msg("captions.emoji_only") : "");
    list.replaceChildren(...(st.enabled ? st.actions.map(row) : []));
  }

  function row(a) {
    const input = h("input", {
      type: "text", "data-caption": a.id, maxlength: defaults.max_chars * 2, translate: "no",
      "aria-label": msg("captions.of", { action: a.label }), placeholder: msg("captions.none_ph"),
    });
    input.value = text(a.id);
    const count = h("span", { class: "small muted" });
    const show = () => {
      const n = [...input.value.trim()].length;
      setText(count, msg("captions.count", { n, max: defaults.max_chars }));
      count.classList.toggle("err", n > defaults.max_chars);
    };
    input.addEventListener("input", () => { st.typed.set(a.id, input.value); show(); host.dispatchEvent(new Event("captions")); });
    show();
    const reset = h("button", { type: "button", class: "btn small ghost", "data-caption-reset": a.id, onclick: () => {
      st.typed.delete(a.id); input.value = fallback(a.id); show(); host.dispatchEvent(new Event("captions"));
    } }, msg("captions.reset"));
    return h("div", { class: "caption-row", "data-caption-row": a.id },
      h("span", { class: "emoji" }, a.emoji || "✨"), h("span", { class: "name" }, a.label), input, count, reset);
  }

  return {
    /** The chosen actions ({id, label, emoji}) and platform ids changed: redraw the rows. */
    update(actions, chosenPlatforms) {
      const ids = actions.map((a) => a.id).join(",");
      const plats = [...chosenPlatforms].join(",");
      if (ids === st.actions.map((a) => a.id).join(",") && plats === [...st.chosen].join(",")) {
        st.actions = actions; // the labels may be in another language now; the rows follow by themselves
        return;
      }
      st.actions = actions;
      st.chosen = new Set(chosenPlatforms);
      draw();
    },
    /** What the page's form sends as `captions` (every chosen action's caption, as shown). */
    value() {
      const out = { enabled: st.enabled, lang: st.lang, motion: st.motion, on_emoji: st.onEmoji, text: {} };
      for (const a of st.actions) out.text[a.id] = text(a.id).trim();
      return out;
    },
    /** Why the captions cannot be sent (a caption too long), or "". */
    problem() {
      if (!st.enabled) return "";
      const long = st.actions.find((a) => [...text(a.id).trim()].length > defaults.max_chars);
      return long ? msg("captions.too_long", { action: long.label, max: defaults.max_chars }) : "";
    },
    close() { off(); },
  };
}
