"""Helpers of the language tests: what a page shows that is still English, read in the page itself."""

from __future__ import annotations

# Words that read the same in every language: product and platform names, file formats, keys.
NEUTRAL = [
    *("PopCon", "API", "LINE", "Telegram", "Discord", "Slack", "KakaoTalk", "Kakao"),
    *("PNG", "JPEG", "JPG", "WebP", "GIF", "BMP", "TIFF", "ZIP", "WebM", "APNG", "MB", "kB", "px"),
    *("OK", "NG", "Ctrl", "Shift", "Space", "Esc", "Enter", "Tab", "POPCON_API_TOKEN", "moonwalk"),
]

# Every visible text node, and every title / aria-label / placeholder / alt, that still has a Latin word
# outside the neutral ones. User data (file names, job ids, a prompt) sits under translate="no".
UNTRANSLATED = r"""(neutral) => {
  const ok = new Set(neutral);
  // A file name (001.png, tab.png) and a word with digits (a job id) are data, not words.
  const english = (s) => s.replace(/[\w.-]+\.(png|gif|webm|zip|jpe?g|webp)\b/gi, " ")
    .split(/[^A-Za-z0-9_]+/).filter((w) => /^[A-Za-z]{2,}$/.test(w) && !ok.has(w));
  const skipped = (el) => !el || el.closest('[translate="no"], script, style, noscript, svg title');
  const shown = (el) => el.checkVisibility({ visibilityProperty: true });
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (skipped(el) || !shown(el) || !n.data.trim()) continue;
    if (english(n.data).length) out.push(`text: ${n.data.trim()}`);
  }
  for (const el of document.body.querySelectorAll("[title], [aria-label], [placeholder], [alt]")) {
    if (skipped(el)) continue;
    for (const a of ["title", "aria-label", "placeholder", "alt"]) {
      const v = el.getAttribute(a);
      if (v && english(v).length) out.push(`${a}: ${v}`);
    }
  }
  if (english(document.title).length) out.push(`title: ${document.title}`);
  return out;
}"""
