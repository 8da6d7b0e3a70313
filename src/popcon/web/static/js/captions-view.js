// The results page's captions: what each action's files carry (read from the exports' manifests: what
// was drawn, not what was asked), the platforms whose files stay bare (emoji), and an editor that
// saves new captions with the job (PUT /jobs/{id}/captions) and exports the set again.
import { put, post } from "./api.js";
import { actionLabel, h, listNodes, msg, platformLabel } from "./ui.js";
import { errorMsg, setText } from "./i18n.js";

const EDITABLE = ["awaiting_refinement", "completed", "completed_with_errors"];

/** A panel listing each action's caption, with "Edit captions" when the job rests; null: no export yet.
 *  `onExport()` runs once the new captions are saved and the export has started. */
export function captionSection(job, exports, onExport) {
  if (!exports.length) return null;
  const drawn = exports.filter((ex) => Object.keys(ex.captions || {}).length);
  const bare = exports.filter((ex) => !Object.keys(ex.captions || {}).length);
  const shown = (id) => { for (const ex of drawn) if (ex.captions[id]) return ex.captions[id]; return ""; };
  const panel = h("section", { class: "panel captions-view", id: "captions-view" });
  const choice = job.captions || { enabled: true, lang: "en", text: {}, motion: "pop" };

  function view() {
    const rows = job.actions.map((a) => {
      const caption = shown(a.action_id);
      return h("li", { "data-caption-of": a.action_id },
        h("span", { class: "emoji" }, a.emoji || "✨"), h("span", { class: "name" }, actionLabel(a)),
        caption ? h("b", { class: "caption-text", translate: "no" }, caption) : h("span", { class: "muted" }, msg("captions.results_none")));
    });
    const edit = EDITABLE.includes(job.status) && job.resting
      ? h("button", { type: "button", class: "btn small", id: "edit-captions", onclick: editor }, msg("captions.edit")) : null;
    panel.replaceChildren(
      h("div", { class: "export-head" }, h("h2", { class: "grow", style: { margin: 0 } }, msg("captions.results_title")), edit),
      drawn.length ? h("ul", { class: "caption-list" }, rows) : h("p", { class: "muted small" }, msg("captions.results_off")),
      drawn.length && bare.length ? h("p", { class: "muted small" }, msg("captions.results_emoji"), " (",
        ...listNodes(bare.map((ex) => platformLabel({ [ex.platform]: ex.name }, ex.platform))), ")") : ""); // DOM append writes null as "null"
  }

  function editor() {
    const inputs = job.actions.map((a) => {
      const input = h("input", { type: "text", translate: "no", "data-caption-edit": a.action_id, "aria-label": msg("captions.of", { action: actionLabel(a) }), placeholder: msg("captions.none_ph") });
      input.value = a.action_id in (choice.text || {}) ? choice.text[a.action_id] : shown(a.action_id);
      return [a, input];
    });
    const note = h("div", { class: "field-error", role: "alert", hidden: true });
    const save = h("button", { type: "button", class: "btn primary small", id: "save-captions", onclick: async () => {
      save.disabled = true;
      try {
        const text = Object.fromEntries(inputs.map(([a, input]) => [a.action_id, input.value.trim()]));
        await put(`/jobs/${job.id}/captions`, { ...choice, enabled: true, text });
        await post(`/jobs/${job.id}/export`, {});
        onExport();
      } catch (err) {
        note.hidden = false;
        setText(note, errorMsg(err));
        save.disabled = false;
      }
    } }, msg("captions.save_export"));
    panel.replaceChildren(
      h("h2", {}, msg("captions.results_title")),
      h("div", { class: "caption-list" }, inputs.map(([a, input]) => h("div", { class: "caption-row edit", "data-caption-row": a.action_id },
        h("span", { class: "emoji" }, a.emoji || "✨"), h("span", { class: "name" }, actionLabel(a)), input))),
      bare.length ? h("p", { class: "muted small" }, msg("captions.results_emoji")) : "",
      note,
      h("div", { class: "row", style: { marginTop: "10px" } }, save,
        h("button", { type: "button", class: "btn small ghost", onclick: view }, msg("captions.cancel"))));
    inputs[0][1].focus();
  }

  view();
  return panel;
}
