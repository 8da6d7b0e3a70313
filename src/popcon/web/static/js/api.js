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

export async function postBlob(path, body, opts = {}) {
  const res = await post(path, body, opts);
  return res.blob();
}
