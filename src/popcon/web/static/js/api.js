// Thin fetch wrapper: JSON in and out, errors become ApiError with the server's message.
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function handle(res) {
  if (res.ok) {
    const type = res.headers.get("content-type") || "";
    if (type.includes("application/json")) return res.json();
    return res;
  }
  let message = `${res.status} ${res.statusText}`;
  let code = "error";
  try {
    const body = await res.json();
    if (body && body.detail) message = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    if (body && body.code) code = body.code;
  } catch (_) { /* not JSON */ }
  throw new ApiError(res.status, message, code);
}

export const API = "/api/v1";

export async function get(path, opts = {}) {
  return handle(await fetch(API + path, { headers: { Accept: "application/json" }, ...opts }));
}

export async function post(path, body, opts = {}) {
  const init = { method: "POST", ...opts, headers: { ...(opts.headers || {}) } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  return handle(await fetch(API + path, init));
}

export async function put(path, body) {
  return handle(await fetch(API + path, { method: "PUT", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) }));
}

export async function postBlob(path, body, opts = {}) {
  const res = await post(path, body, opts);
  return res.blob();
}

// POST a form with upload progress (fetch cannot report it): `onProgress(sent, total)` while the body
// goes out. Resolves like post(): parsed JSON, or a Blob when `blob` is set.
// onResponse(xhr) sees a successful answer first (its headers, e.g. the matte's warning).
export function postWithProgress(path, form, { headers = {}, onProgress = null, blob = false, onResponse = null } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", API + path);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.responseType = blob ? "blob" : "text";
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onerror = () => reject(new ApiError(0, "The upload did not reach the server (network error); try again.", "network"));
    xhr.onload = async () => {
      const text = blob ? null : xhr.responseText;
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onResponse) onResponse(xhr);
        if (blob) return resolve(xhr.response);
        try { return resolve(JSON.parse(text)); } catch (_) { return resolve(text); }
      }
      let message = `${xhr.status} ${xhr.statusText}`, code = "error";
      try {
        const body = JSON.parse(blob ? await xhr.response.text() : text);
        if (body && body.detail) message = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
        if (body && body.code) code = body.code;
      } catch (_) { /* not JSON */ }
      reject(new ApiError(xhr.status, message, code));
    };
    xhr.send(form);
  });
}

// Width and height from an image file's header (PNG, GIF, BMP, WebP, JPEG) without decoding it, so a
// huge image is refused before the page spends seconds and hundreds of MB on it. null: unknown.
export async function imageSize(file) {
  const b = new DataView(await file.slice(0, 512 * 1024).arrayBuffer());
  const n = b.byteLength;
  const u32 = (o) => b.getUint32(o), u16 = (o) => b.getUint16(o);
  if (n >= 24 && u32(0) === 0x89504e47) return { width: u32(16), height: u32(20) };
  if (n >= 10 && u32(0) === 0x47494638) return { width: b.getUint16(6, true), height: b.getUint16(8, true) };
  if (n >= 26 && u16(0) === 0x424d) return { width: b.getInt32(18, true), height: Math.abs(b.getInt32(22, true)) };
  if (n >= 30 && u32(0) === 0x52494646 && u32(8) === 0x57454250) {
    const kind = u32(12);
    if (kind === 0x56503858) return { width: 1 + (b.getUint32(24, true) & 0xffffff), height: 1 + (b.getUint32(27, true) & 0xffffff) };
    if (kind === 0x5650384c) { const v = b.getUint32(21, true); return { width: 1 + (v & 0x3fff), height: 1 + ((v >> 14) & 0x3fff) }; }
    if (kind === 0x56503820) return { width: b.getUint16(26, true) & 0x3fff, height: b.getUint16(28, true) & 0x3fff };
  }
  if (n >= 4 && u16(0) === 0xffd8) {
    let o = 2;
    while (o + 9 < n) {
      if (b.getUint8(o) !== 0xff) { o++; continue; }
      const m = b.getUint8(o + 1);
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { width: u16(o + 7), height: u16(o + 5) };
      if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { o += 2; continue; }
      o += 2 + u16(o + 2);
    }
  }
  return null;
}
