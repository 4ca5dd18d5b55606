// Money, rates, dates. Money is integer fen end to end (never a float).
import type { Lang } from './i18n';

export function formatFen(fen: number | undefined): string {
  const v = Math.trunc(fen ?? 0);
  const sign = v < 0 ? '-' : '';
  const abs = Math.abs(v);
  const yuan = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

// "12.5" / "12.50" / "12" -> 1250; anything else (3 decimals, letters, negative) -> null.
export function parseYuan(text: string): number | null {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}
export function fenToYuanText(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

export interface Ratio {
  numerator?: number;
  denominator?: number;
  basis_points?: number;
}
export function formatRate(r: Ratio | undefined | null): string {
  if (!r || !r.denominator) return '—';
  const bp = r.basis_points ?? Math.round(((r.numerator ?? 0) * 10000) / r.denominator);
  return `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}%`;
}
export function ratePercent(r: Ratio | undefined | null): number {
  if (!r || !r.denominator) return 0;
  return (r.basis_points ?? 0) / 100;
}

function parts(iso: string, tz: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(iso))) out[p.type] = p.value;
  if (out.hour === '24') out.hour = '00';
  return out;
}
// "2026-11-22 19:18" in the project's time zone.
export function formatDateTime(iso: string | undefined, tz = 'Asia/Shanghai'): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '—';
  const p = parts(iso, tz);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
export function formatDate(iso: string | undefined, tz = 'Asia/Shanghai'): string {
  if (!iso) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  return formatDateTime(iso, tz).slice(0, 10);
}
export function formatTime(iso: string | undefined, tz = 'Asia/Shanghai'): string {
  return formatDateTime(iso, tz).slice(11);
}
// "2026-11" of an instant in the time zone.
export function monthOf(ms: number, tz = 'Asia/Shanghai'): string {
  const p = parts(new Date(ms).toISOString(), tz);
  return `${p.year}-${p.month}`;
}
export function dateOf(ms: number, tz = 'Asia/Shanghai'): string {
  const p = parts(new Date(ms).toISOString(), tz);
  return `${p.year}-${p.month}-${p.day}`;
}

// Appointment windows that overlap per technician (the calendar shows them as conflicts).
export interface Slot {
  id: string;
  who: string;
  start: string;
  end: string;
}
export function findConflicts(slots: Slot[]): Set<string> {
  const out = new Set<string>();
  const byWho = new Map<string, Slot[]>();
  for (const s of slots) byWho.set(s.who, [...(byWho.get(s.who) ?? []), s]);
  for (const list of byWho.values()) {
    const sorted = [...list].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    for (let i = 0; i < sorted.length; i++)
      for (let j = i + 1; j < sorted.length; j++) {
        if (Date.parse(sorted[j].start) >= Date.parse(sorted[i].end)) break;
        out.add(sorted[i].id);
        out.add(sorted[j].id);
      }
  }
  return out;
}

export function langLocale(lang: Lang): string {
  return lang === 'zh-CN' ? 'zh-CN' : 'en-GB';
}
