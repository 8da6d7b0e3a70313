// Small DOM helpers shared by the views. A Msg (i18n.js) as a child or an attribute value stays live:
// it is worded again when the user switches language.
import { Msg, errorMsg, has, language, msg, setAttr, textNode } from "./i18n.js";

export { msg };

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.append(textNode(v));
    else if (v instanceof Msg) setAttr(el, k, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : textNode(c));
  }
  return el;
}

// Success notes fade; an error stays until the user closes it (an error read by nobody helps nobody).
export function toast(message, kind = "") {
  const box = document.getElementById("toasts");
  const t = h("div", { class: `toast ${kind}`, role: kind === "bad" ? "alert" : "status" }, h("span", {}, message));
  if (kind === "bad") t.append(h("button", { class: "toast-x", type: "button", "aria-label": msg("ui.dismiss"), onclick: () => t.remove() }, "×"));
  else setTimeout(() => t.remove(), 3500);
  box.append(t);
}

// An error shown next to the control it is about; it stays until the user acts (clearFieldError).
export function fieldError(box, message) {
  box.replaceChildren(message ? textNode(message) : "");
  box.hidden = !message;
}

export function showError(err) {
  console.error(err);
  toast(errorMsg(err), "bad");
}

const RUNNING = new Set(["generating_character", "generating_poses", "animating", "extracting", "matting", "exporting", "posing"]);
const WAITING = new Set(["queued", "pending"]); // not started yet: must not look like work in progress

/** A job's or an action's status in words (a Msg; an unknown status shows as its id in words). */
export function statusLabel(s) { return has(`status.${s}`) ? msg(`status.${s}`) : s.replaceAll("_", " "); }

export function badge(status) {
  let kind = "";
  if (RUNNING.has(status)) kind = "run";
  else if (WAITING.has(status)) kind = "queue";
  else if (status === "completed" || status === "done") kind = "ok";
  else if (status === "awaiting_refinement" || status === "completed_with_errors") kind = "wait";
  else if (status === "failed" || status === "canceled") kind = "bad";
  return h("span", { class: `badge ${kind}`, "data-status": status }, statusLabel(status));
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

export function fmtDuration(sec) {
  sec = Math.max(0, Math.round(sec));
  const m = Math.floor(sec / 60), s = sec % 60;
  return m ? msg("time.min_sec", { m, s: String(s).padStart(2, "0") }) : msg("time.sec", { s });
}

export function parseTime(iso) {
  // Server times are naive UTC.
  if (!iso) return null;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
}

export function timeAgo(iso) {
  const d = parseTime(iso);
  if (!d) return "";
  const s = (Date.now() - d.getTime()) / 1000;
  if (s < 60) return msg("time.just_now");
  if (s < 3600) return msg("time.min_ago", { n: Math.floor(s / 60) });
  if (s < 86400) return msg("time.h_ago", { n: Math.floor(s / 3600) });
  return d.toLocaleDateString(language());
}

export function fmtDate(iso) {
  const d = parseTime(iso);
  if (!d) return "";
  return d.toLocaleString(language(), { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

// Platform display names by id ("line-emoji" -> "LINE animated emoji"), fetched once per page load.
let platformsOnce = null;
export function platformNames() {
  if (!platformsOnce) {
    platformsOnce = fetch("/api/v1/platforms").then((r) => (r.ok ? r.json() : []))
      .then((list) => Object.fromEntries(list.map((p) => [p.id, p.name]))).catch(() => ({}));
  }
  return platformsOnce;
}
/** A platform's name in the page's language (the server's English name when the catalogue lacks it). */
export function platformLabel(names, id) { return has(`platform.${id}`) ? msg(`platform.${id}`) : names[id] || id; }

/** A preset action's name in the page's language; a custom action keeps the name its user gave it. */
export function actionLabel(a) { return has(`action.${a.id || a.action_id}`) && !a.custom ? msg(`action.${a.id || a.action_id}`) : a.label; }

export function pageHead(title, subtitle, ...right) {
  return h("div", { class: "page-head" },
    h("div", { class: "grow" }, h("h1", {}, title), subtitle ? h("p", {}, subtitle) : null), ...right);
}

// "1 file", "2 files": counts read as words, never "1 files" (the catalogue's `key.one` for 1).
export function plural(n, key) {
  return msg(key, { n });
}

/** Items as one list in the page's language ("a, b" / "a、b"): a value a message can take as a param. */
export function listOf(items) {
  return { toString: () => items.map(String).join(String(msg("list.sep"))) };
}

/** Items with the language's separator between them, as children for h(). */
export function listNodes(items) {
  return items.flatMap((x, i) => [i ? msg("list.sep") : null, x]);
}

// Text shortened to `max` characters says so: an ellipsis, never a silent cut (the full text goes in a title).
export function clip(text, max) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s;
}
