// The public HTTP API (DESIGN.md), same origin as the console. Errors throw ApiError.
import { ApiError, errorOf } from './errors';
import { token } from './session';

export async function api<T = any>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  opts: { idempotencyKey?: string; query?: Record<string, string | number | undefined> } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const enc = encodeURIComponent;

export function newKey(): string {
  if (typeof globalThis.crypto?.randomUUID === 'function') return globalThis.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// Reads every page of a list route (page_token / next_page_token), up to `max` items.
export async function listAll<T>(
  path: string,
  field: string,
  query: Record<string, string | number | undefined> = {},
  max = 1000,
): Promise<T[]> {
  const out: T[] = [];
  let pageToken: string | undefined;
  do {
    const page = await api<any>('GET', path, undefined, {
      query: { ...query, page_size: 200, page_token: pageToken },
    });
    out.push(...((page?.[field] as T[]) ?? []));
    pageToken = page?.next_page_token || undefined;
  } while (pageToken && out.length < max);
  return out;
}
