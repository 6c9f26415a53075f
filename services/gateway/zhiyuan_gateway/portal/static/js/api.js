// The public /api/v1, nothing else. Tokens live in sessionStorage, one per portal.
const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export const tokens = {
  get: (portal) => sessionStorage.getItem(`zy.token.${portal}`),
  set: (portal, token) => sessionStorage.setItem(`zy.token.${portal}`, token),
  clear: (portal) => sessionStorage.removeItem(`zy.token.${portal}`),
};

/** The claims of a JWT (not verified here: the gateway verifies every request). */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part + "=".repeat((4 - (part.length % 4)) % 4))));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

export async function api(method, path, { body, token, query, raw = false } = {}) {
  const url = new URL(BASE + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  const headers = { Accept: "application/json, application/problem+json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["Idempotency-Key"] = newKey();
  let reply;
  try {
    reply = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { title: "network", detail: String(err) });
  }
  if (raw && reply.ok) return reply;
  const text = await reply.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

/** Every page of a list endpoint (items + next), up to `max` items; `onPage(count)` after each page. */
export async function all(path, { token, query = {}, max = 2000, pageSize = 200, onPage } = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await api("GET", path, { token, query: { ...query, limit: pageSize, cursor } });
    items.push(...(page.items || []));
    cursor = page.next;
    if (onPage) onPage(items.length);
  } while (cursor && items.length < max);
  return items;
}
