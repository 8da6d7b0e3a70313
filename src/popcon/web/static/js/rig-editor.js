// Rig editor: the detected joints drawn over the character; the user drags them (mouse and touch
// through pointer events), or focuses a joint (Tab) and moves it with the arrow keys (Shift: bigger
// steps), marks "no arms" / "no legs", resets to what was detected, or places joints on a character
// the auto-rig could not read. Coordinates stay in the uploaded image's pixels (the SVG's viewBox), so
// the rig sent with the job needs no conversion whatever size the picture is shown at.
import { h, msg } from "./ui.js";
import { englishFirst, setAttr, setText } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const ARMS = ["shoulder", "elbow", "hand"].flatMap((j) => [`right_${j}`, `left_${j}`]);
const LEGS = ["hip", "knee", "foot"].flatMap((j) => [`right_${j}`, `left_${j}`]);
const BONES = [
  ["head_top", "neck"], ["neck", "torso"], ["torso", "hip"],
  ...["right", "left"].flatMap((s) => [
    ["torso", `${s}_shoulder`], [`${s}_shoulder`, `${s}_elbow`], [`${s}_elbow`, `${s}_hand`],
    ["hip", `${s}_hip`], [`${s}_hip`, `${s}_knee`], [`${s}_knee`, `${s}_foot`],
  ]),
];
// Placing joints by hand starts from the detected rig's joints (the auto-rig's best guess, fitted to the
// character's silhouette even when it animates the whole body); these shares of the image are only
// for a joint a rig file left out.
const TEMPLATE = {
  head_top: [0.5, 0.08], neck: [0.5, 0.22], torso: [0.5, 0.42], hip: [0.5, 0.6], root: [0.5, 0.6],
  right_shoulder: [0.38, 0.4], right_elbow: [0.3, 0.5], right_hand: [0.24, 0.6],
  left_shoulder: [0.62, 0.4], left_elbow: [0.7, 0.5], left_hand: [0.76, 0.6],
  right_hip: [0.43, 0.62], right_knee: [0.42, 0.76], right_foot: [0.41, 0.9],
  left_hip: [0.57, 0.62], left_knee: [0.58, 0.76], left_foot: [0.59, 0.9],
};

const label = (name) => msg(`rig.joint_${name}`);
const kind = (name) => (name.startsWith("right_") ? "right" : name.startsWith("left_") ? "left" : "mid");

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function copy(rig) {
  return { ...rig, joints: Object.fromEntries(Object.entries(rig.joints).map(([k, v]) => [k, [...v]])) };
}

/** Mount the editor in `host`. `detected` is the auto-rig (for Reset), `rig` the current (maybe edited)
 *  one; `onChange(rig)` receives every edit with source "user". */
export function mountRigEditor(host, { imageUrl, detected, rig, onChange }) {
  let cur = copy(rig || detected);
  const { width: W, height: H } = cur;
  const r = Math.max(W, H) * 0.024;
  const step = Math.max(1, Math.round(Math.max(W, H) * 0.01));

  const overlay = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "rig-overlay", role: "group" });
  setAttr(overlay, "aria-label", msg("rig.joints_label"));
  const stage = h("div", { class: "rig-stage", style: { aspectRatio: `${W} / ${H}` } },
    h("img", { src: imageUrl, alt: msg("rig.image_alt"), draggable: "false" }), overlay);
  const noArms = h("input", { type: "checkbox", id: "rig-no-arms" });
  const noLegs = h("input", { type: "checkbox", id: "rig-no-legs" });
  const note = h("p", { class: "muted small rig-note", id: "rig-note", "aria-live": "polite" });
  const reset = h("button", { type: "button", class: "btn small", id: "rig-reset", onclick: () => { cur = copy(detected); draw(); onChange(null); } }, msg("rig.reset"));
  const place = h("button", { type: "button", class: "btn small", id: "rig-place", onclick: placeTemplate }, msg("rig.place"));
  noArms.addEventListener("change", () => edit(() => { cur.has_arms = !noArms.checked; }));
  noLegs.addEventListener("change", () => edit(() => { cur.has_legs = !noLegs.checked; }));
  const box = h("div", { class: "rig-editor", id: "rig-editor" },
    stage,
    h("div", { class: "rig-side" },
      h("b", {}, msg("rig.joints")),
      h("p", { class: "muted small" }, msg("rig.help")),
      h("label", { class: "check" }, noArms, msg("rig.no_arms")),
      h("label", { class: "check" }, noLegs, msg("rig.no_legs")),
      h("div", { class: "row" }, reset, place),
      note));
  host.replaceChildren(box);

  function edit(fn) {
    fn();
    cur.source = "user";
    draw();
    onChange(copy(cur));
  }

  function placeTemplate() {
    edit(() => {
      for (const [k, [fx, fy]] of Object.entries(TEMPLATE)) if (!cur.joints[k]) cur.joints[k] = [fx * W, fy * H];
      cur.has_arms = true; cur.has_legs = true; cur.confidence = 1; cur.note = null;
    });
    // The button hides once joints exist: keyboard focus moves to the first joint to place, not the page.
    overlay.querySelector("[data-joint]")?.focus();
  }

  function shown(name) {
    if (ARMS.includes(name)) return cur.has_arms;
    if (LEGS.includes(name)) return cur.has_legs;
    return cur.has_arms || cur.has_legs;
  }

  function toSvg(ev) {
    const pt = overlay.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    const p = pt.matrixTransform(overlay.getScreenCTM().inverse());
    return [Math.min(Math.max(p.x, 0), W - 1), Math.min(Math.max(p.y, 0), H - 1)];
  }

  function move(name, x, y) {
    cur.joints[name] = [Math.round(Math.min(Math.max(x, 0), W - 1) * 10) / 10, Math.round(Math.min(Math.max(y, 0), H - 1) * 10) / 10];
    if (name === "hip" && cur.joints.root) cur.joints.root = [...cur.joints.hip]; // the root follows the hips
  }

  function handle(name) {
    const [x, y] = cur.joints[name];
    const c = svg("circle", {
      cx: x, cy: y, r, class: `rig-joint ${kind(name)}`, tabindex: 0, role: "slider",
      "data-joint": name, "aria-valuetext": `x ${Math.round(x)}, y ${Math.round(y)}`,
    });
    setAttr(c, "aria-label", msg("rig.joint", { name: label(name) }));
    const t = svg("title", {});
    setText(t, label(name));
    c.append(t);
    c.addEventListener("pointerdown", (ev) => {
      ev.preventDefault();
      c.setPointerCapture(ev.pointerId);
      c.focus();
      c.classList.add("dragging");
    });
    c.addEventListener("pointermove", (ev) => {
      if (!c.hasPointerCapture(ev.pointerId)) return;
      const [px, py] = toSvg(ev);
      move(name, px, py);
      c.setAttribute("cx", cur.joints[name][0]); c.setAttribute("cy", cur.joints[name][1]);
      drawBones();
    });
    const end = (ev) => {
      if (!c.hasPointerCapture(ev.pointerId)) return;
      c.releasePointerCapture(ev.pointerId);
      edit(() => {});
      overlay.querySelector(`[data-joint="${name}"]`)?.focus();
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("keydown", (ev) => {
      const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
      if (!d) return;
      ev.preventDefault();
      const s = ev.shiftKey ? step * 5 : step;
      const [jx, jy] = cur.joints[name];
      edit(() => move(name, jx + d[0] * s, jy + d[1] * s));
      overlay.querySelector(`[data-joint="${name}"]`)?.focus();
    });
    return c;
  }

  let bones;
  function drawBones() {
    bones.replaceChildren();
    for (const [a, b] of BONES) {
      const pa = cur.joints[a], pb = cur.joints[b];
      if (!pa || !pb || !shown(a) || !shown(b)) continue;
      bones.append(svg("line", { x1: pa[0], y1: pa[1], x2: pb[0], y2: pb[1], class: `rig-bone ${kind(b)}`, "stroke-width": r * 0.45 }));
    }
  }

  function draw() {
    overlay.replaceChildren();
    bones = svg("g", { class: "rig-bones" });
    overlay.append(bones);
    drawBones();
    for (const name of Object.keys(cur.joints)) if (shown(name) && name !== "root") overlay.append(handle(name));
    noArms.checked = !cur.has_arms;
    noLegs.checked = !cur.has_legs;
    const parts = cur.has_arms || cur.has_legs;
    noArms.disabled = !("right_hand" in cur.joints);
    noLegs.disabled = !("right_foot" in cur.joints);
    place.style.display = parts ? "none" : "";
    // The auto-rig's reason (English, from the server) is kept on an English page.
    const why = `The whole character will move as one piece${cur.note ? ` (${cur.note})` : ""}. Place joints yourself to animate arms and legs.`;
    setText(note, !parts ? englishFirst(why, msg("rig.one_piece"))
      : cur.source === "user" ? msg("rig.yours") : msg("rig.found", { pct: Math.round((cur.confidence || 0) * 100) }));
  }

  draw();
  return { get rig() { return copy(cur); } };
}
