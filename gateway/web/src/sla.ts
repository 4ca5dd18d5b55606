// SLA countdowns: which deadline of a ticket is running and how it reads ("剩余 1天3小时",
// "超时 5小时"). Pure functions of the ticket and the clock.
import { translate, type Lang } from './i18n';

export type SlaState = 'ok' | 'soon' | 'breached' | 'done';
export interface Countdown {
  state: SlaState;
  text: string;
  remainingMs: number;
}

export const SOON_MS = 4 * 3600 * 1000; // under 4 h left: highlighted

// 93784000 ms -> "1天2小时" / "1d 2h"; under an hour in minutes; under a minute "<1分钟".
export function formatDuration(ms: number, lang: Lang): string {
  const abs = Math.abs(ms);
  const minutes = Math.floor(abs / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const u = (k: string, n: number) => translate(lang, `sla.unit.${k}`, { n });
  if (days > 0) return (hours > 0 ? u('d', days) + u('h', hours) : u('d', days)).trim();
  if (hours > 0) return (mins > 0 ? u('h', hours) + u('m', mins) : u('h', hours)).trim();
  if (minutes > 0) return u('m', mins).trim();
  return translate(lang, 'sla.under_minute');
}

export function countdown(dueIso: string | undefined, nowMs: number, lang: Lang): Countdown {
  const due = dueIso ? Date.parse(dueIso) : NaN;
  if (Number.isNaN(due)) return { state: 'done', text: '—', remainingMs: 0 };
  const remainingMs = due - nowMs;
  const d = formatDuration(remainingMs, lang);
  if (remainingMs < 0)
    return { state: 'breached', text: translate(lang, 'sla.overdue', { d }), remainingMs };
  return {
    state: remainingMs < SOON_MS ? 'soon' : 'ok',
    text: translate(lang, 'sla.left', { d }),
    remainingMs,
  };
}

export interface SlaTicket {
  status?: string;
  response_due?: string;
  resolve_due?: string;
  responded_at?: string;
}

const FINISHED = new Set(['resolved', 'closed', 'cancelled']);

// The running deadline: the response until someone answered the owner, then the resolution.
export function ticketSla(
  ticket: SlaTicket,
  nowMs: number,
  lang: Lang,
): Countdown & { deadline: 'response' | 'resolve' | null } {
  if (FINISHED.has(ticket.status ?? ''))
    return { state: 'done', text: translate(lang, 'sla.finished'), remainingMs: 0, deadline: null };
  const deadline = ticket.responded_at ? 'resolve' : 'response';
  const due = deadline === 'response' ? ticket.response_due : ticket.resolve_due;
  const c = countdown(due, nowMs, lang);
  return {
    ...c,
    text: `${translate(lang, `sla.deadline.${deadline}`)} ${c.text}`,
    deadline,
  };
}
