// The page's language: message catalogues (static/i18n/<lang>.json), the user's choice (remembered in
// localStorage, else the browser's languages) and a switch that re-words the page in place, without a
// reload: every text made from a message (`msg(key, params)`) remembers its key, so a switch walks
// the page and writes each one again in the new language. Pages keep their state (a picked file, a
// typed caption), and texts that change on their own (a job's status) follow the choice too.
export const LANGUAGES = { en: "English", ja: "日本語", ko: "한국어" };
const STORE = "popcon.lang";

const catalogues = {};
let lang = "en";
const listeners = new Set();
const liveText = new WeakMap(); // Text node -> Msg
const liveAttrs = new WeakMap(); // Element -> {attribute: Msg}

/** A message not yet turned into words: it is worded in the current language each time it is shown. */
export class Msg {
  constructor(key, params = {}) {
    this.key = key;
    this.params = params;
  }

  toString() { return t(this.key, this.params); }
}

export function msg(key, params) { return new Msg(key, params); }

function lookup(code, key) {
  const cat = catalogues[code];
  return cat ? cat[key] : undefined;
}

/** The message `key` in the current language (English when the language lacks it, the key when
 *  neither has it); `{name}` is replaced by params.name (a Msg param is worded too). A count `n`
 *  picks `key.one` for 1 when the language has it (English), so "1 file" never reads "1 files". */
export function t(key, params = {}) {
  let text;
  if (params && params.n === 1) text = lookup(lang, `${key}.one`);
  if (text === undefined) text = lookup(lang, key);
  if (text === undefined && params && params.n === 1) text = lookup("en", `${key}.one`);
  if (text === undefined) text = lookup("en", key);
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params && name in params ? String(params[name]) : whole));
}

/** Whether the catalogue has a message (an error code, a warning code, an action id). */
export function has(key) { return lookup(lang, key) !== undefined || lookup("en", key) !== undefined; }

export function language() { return lang; }

/** A text node for `m` that follows language switches. */
export function textNode(m) {
  const node = document.createTextNode(String(m));
  if (m instanceof Msg) liveText.set(node, m);
  return node;
}

/** Set an attribute (title, aria-label, placeholder, alt) to a message that follows switches. */
export function setAttr(el, name, m) {
  el.setAttribute(name, String(m));
  if (!(m instanceof Msg)) return;
  const attrs = liveAttrs.get(el) || {};
  attrs[name] = m;
  liveAttrs.set(el, attrs);
}

/** Replace an element's text with a message (or plain text) that follows switches. */
export function setText(el, m) {
  el.replaceChildren(textNode(m));
}

function reword(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) {
      const m = liveText.get(node);
      if (m) node.data = String(m);
      continue;
    }
    const attrs = liveAttrs.get(node);
    if (attrs) for (const [name, m] of Object.entries(attrs)) node.setAttribute(name, String(m));
    const key = node.dataset ? node.dataset.i18n : undefined;
    if (key) node.textContent = t(key);
    const attrKeys = node.dataset ? node.dataset.i18nAttr : undefined;
    if (attrKeys) {
      for (const pair of attrKeys.split(";")) {
        const [name, k] = pair.split("=");
        node.setAttribute(name.trim(), t(k.trim()));
      }
    }
  }
}

async function load(code) {
  if (catalogues[code]) return;
  const res = await fetch(`/static/i18n/${code}.json`);
  if (!res.ok) throw new Error(`catalogue ${code}: ${res.status}`);
  catalogues[code] = await res.json();
}

function preferred() {
  let saved = null;
  try { saved = localStorage.getItem(STORE); } catch (_) { /* storage blocked: follow the browser */ }
  if (saved && saved in LANGUAGES) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base in LANGUAGES) return base;
  }
  return "en";
}

/** Switch the page's language in place; `remember` keeps the choice for the next visit. */
export async function setLanguage(code, remember = true) {
  if (!(code in LANGUAGES)) return;
  await Promise.all([load("en"), load(code)]);
  lang = code;
  if (remember) { try { localStorage.setItem(STORE, code); } catch (_) { /* not kept; still switched */ } }
  document.documentElement.lang = code;
  reword(document.documentElement);
  document.title = t("app.title");
  for (const fn of listeners) { try { fn(code); } catch (err) { console.error(err); } }
}

/** Call `fn(lang)` after every switch (for texts a page draws itself, e.g. a canvas); returns an unsubscriber. */
export function onLanguage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Load the catalogues of the preferred language and word the static page (before any view renders). */
export async function initI18n() {
  try {
    await setLanguage(preferred(), false);
  } catch (err) {
    console.error(err); // a missing catalogue leaves the keys' English fallbacks
  }
}

/** The header's language menu: a real <select>, labelled, worded in each language's own name. */
export function mountLanguageSelect(host) {
  const select = document.createElement("select");
  select.id = "lang-select";
  select.className = "lang-select";
  select.setAttribute("translate", "no");
  setAttr(select, "aria-label", msg("nav.language"));
  for (const [code, name] of Object.entries(LANGUAGES)) {
    const opt = document.createElement("option");
    opt.value = code;
    opt.lang = code;
    opt.textContent = name;
    select.append(opt);
  }
  select.value = lang;
  select.addEventListener("change", () => setLanguage(select.value));
  onLanguage((code) => { select.value = code; });
  host.append(select);
}

/** A message the server also sent in English (an API error, a stored warning): in English the
 *  server's own words (the most precise), in another language the catalogue's words for its code,
 *  with the English detail after them for codes that only name a kind of problem
 *  (`<key>.detail`); a code the catalogue does not know shows the English. */
class ServerMsg extends Msg {
  constructor(key, english, params = {}) {
    super(key, { ...params, detail: english });
    this.english = english;
  }

  toString() {
    if ((lang === "en" && this.english) || !has(this.key)) return this.english || t(this.key);
    if (this.english && has(`${this.key}.detail`)) return t(`${this.key}.detail`, this.params);
    return t(this.key, this.params);
  }
}

/** `m` in the page's language, but the server's own English `english` on an English page. */
export function englishFirst(english, m) {
  const out = new Msg(m.key, m.params);
  out.toString = () => (lang === "en" && english ? english : String(m));
  return out;
}

/** An API error (ApiError: status, message, code) as a message that follows language switches. */
export function errorMsg(err) {
  if (!err) return "";
  if (err instanceof Msg) return err;
  const english = err.message ? err.message : String(err);
  return err.code ? new ServerMsg(`error.${err.code}`, english) : english;
}

/** A warning the server stored with a code (a cut-out, a matte): its words here, else the stored text. */
export function warningMsg(code, text, params = {}) {
  return code ? new ServerMsg(`warning.${code}`, text, params) : text;
}

// Failures whose English adds nothing to their catalogue words (no detail shown beside them).
const PLAIN_FAILURES = new Set(["canceled", "actions_failed"]);

/** A stored failure (a job's or an action's error, a failed step in the log) by its stable code:
 *  [words, detail]. The words are the catalogue's `error.<code>` in the page's language; the detail
 *  is the server's English in brackets, for a `translate="no"` span (what exactly failed: an action,
 *  a provider's reason). An English page, or a code the catalogue lacks, shows the English alone. */
export function failureMsg(code, english) {
  const key = `error.${code}`;
  const own = () => lang === "en" || !code || !has(key);
  const words = new Msg(key);
  words.toString = () => (own() ? english || t(key) : t(key));
  const detail = new Msg(key);
  detail.toString = () => (own() || !english || PLAIN_FAILURES.has(code) ? "" : ` (${english})`);
  return [words, detail];
}

/** A platform rule a file did not pass ({rule, measured, limit}), worded from `rule.<id>` with its
 *  measured value and limit; the server's English on an English page or for a rule the catalogue lacks. */
export function ruleMsg(problem, english) {
  return new ServerMsg(`rule.${problem.rule}`, english, { measured: problem.measured, limit: problem.limit });
}
