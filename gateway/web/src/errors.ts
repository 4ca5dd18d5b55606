// API errors in words: {"error": {"code", "message"}} and network failures become one sentence for
// the person at the screen, with the server's detail kept in brackets.
import { translate, type Lang } from './i18n';

export class ApiError extends Error {
  constructor(
    public status: number, // 0 = no answer (network)
    public code: string,
    public detail: string,
    public retryAfter?: number,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

function words(err: ApiError, lang: Lang): string {
  const tr = (k: string, p?: Record<string, string | number>) => translate(lang, k, p);
  switch (err.status) {
    case 0:
      return tr('err.network');
    case 400:
      return tr('err.invalid');
    case 401:
      return tr('err.unauthenticated');
    case 403:
      return tr('err.forbidden');
    case 404:
      return err.detail === 'no such route' ? tr('err.route_missing') : tr('err.not_found');
    case 409:
      if (err.code === 'failed_precondition') return tr('err.precondition');
      if (err.code === 'already_exists') return tr('err.exists');
      if (err.code === 'request_in_progress') return tr('err.in_progress');
      if (err.code === 'idempotency_key_reused') return tr('err.key_reused');
      return tr('err.conflict');
    case 413:
      return tr('err.too_large');
    case 429:
      return tr('err.rate_limited', { s: err.retryAfter ?? 1 });
    case 501:
      return tr('err.unimplemented');
    case 503:
      return tr('err.unavailable');
    default:
      return err.status >= 500 ? tr('err.server') : tr('err.unknown');
  }
}

// "description: must not be empty" -> "问题描述: must not be empty" when the field has a label.
function detailText(detail: string, lang: Lang): string {
  const m = /^([a-z_]+(?:\.[a-z_]+)*): (.*)$/s.exec(detail);
  if (!m) return detail;
  const key = `field.${m[1]}`;
  const name = translate(lang, key);
  return name === key ? detail : `${name}: ${m[2]}`;
}

export function errorMessage(err: unknown, lang: Lang): string {
  if (!(err instanceof ApiError)) {
    const msg = err instanceof Error ? err.message : String(err);
    return `${translate(lang, 'err.unknown')} (${msg})`;
  }
  const w = words(err, lang);
  if (!err.detail || err.status === 0) return w;
  const open = lang === 'zh-CN' ? '（' : ' (';
  const close = lang === 'zh-CN' ? '）' : ')';
  return `${w}${open}${detailText(err.detail, lang)}${close}`;
}

// Builds the ApiError of a failed fetch Response.
export async function errorOf(res: Response): Promise<ApiError> {
  let code = 'http_error';
  let detail = res.statusText;
  try {
    const body = await res.json();
    if (body?.error) {
      code = body.error.code ?? code;
      detail = body.error.message ?? detail;
    }
  } catch {
    /* not JSON */
  }
  const retry = Number(res.headers.get('Retry-After'));
  return new ApiError(res.status, code, detail, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}
