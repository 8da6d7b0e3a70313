// The results page's captions: what each action's files carry, read from the exports' manifests
// (what was drawn, not what was asked), with the platforms whose files stay bare (emoji) named.
import { actionLabel, h, listNodes, msg, platformLabel } from "./ui.js";

/** A panel listing each action's caption; null when no export carries a caption. */
export function captionSection(job, exports) {
  const drawn = exports.filter((ex) => Object.keys(ex.captions || {}).length);
  if (!drawn.length) {
    return exports.length ? h("section", { class: "panel captions-view", id: "captions-view" },
      h("h2", {}, msg("captions.results_title")), h("p", { class: "muted small" }, msg("captions.results_off"))) : null;
  }
  const bare = exports.filter((ex) => !Object.keys(ex.captions || {}).length);
  const text = (id) => { for (const ex of drawn) if (ex.captions[id]) return ex.captions[id]; return ""; };
  const rows = job.actions.map((a) => {
    const caption = text(a.action_id);
    return h("li", { "data-caption-of": a.action_id },
      h("span", { class: "emoji" }, a.emoji || "✨"), h("span", { class: "name" }, actionLabel(a)),
      caption ? h("b", { class: "caption-text", translate: "no" }, caption) : h("span", { class: "muted" }, msg("captions.results_none")));
  });
  return h("section", { class: "panel captions-view", id: "captions-view" },
    h("h2", {}, msg("captions.results_title")),
    h("ul", { class: "caption-list" }, rows),
    bare.length ? h("p", { class: "muted small" }, msg("captions.results_emoji"), " (",
      ...listNodes(bare.map((ex) => platformLabel({ [ex.platform]: ex.name }, ex.platform))), ")") : null);
}
