// Strings of the console in Chinese (default) and English. `translate` is pure (unit-tested); `t`
// uses the language the user picked (kept in localStorage).
import { zh } from './locales/zh';
import { en } from './locales/en';

export type Lang = 'zh-CN' | 'en';
export type Dict = Record<string, string>;
export const dictionaries: Record<Lang, Dict> = { 'zh-CN': zh, en };

// Looks `key` up in `lang`, then in Chinese, then gives the key itself (a visible gap, never a
// crash); `{name}` placeholders are filled from `params`.
export function translate(lang: Lang, key: string, params?: Record<string, string | number>): string {
  const text = dictionaries[lang]?.[key] ?? dictionaries['zh-CN'][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

// An enum value in words: label('category', 'house_quality') -> 房屋质量; unknown values as is.
export function enumLabel(lang: Lang, group: string, value: string | undefined): string {
  if (!value) return '—';
  const key = `enum.${group}.${value}`;
  const text = translate(lang, key);
  return text === key ? value : text;
}

const STORAGE_KEY = 'aftercare.lang';
let current: Lang = 'zh-CN';
try {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') current = saved;
} catch {
  /* no storage (tests, private mode): Chinese */
}
const listeners = new Set<(lang: Lang) => void>();

export function lang(): Lang {
  return current;
}
export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next;
  listeners.forEach((fn) => fn(next));
}
export function onLangChange(fn: (lang: Lang) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function t(key: string, params?: Record<string, string | number>): string {
  return translate(current, key, params);
}
export function label(group: string, value: string | undefined): string {
  return enumLabel(current, group, value);
}
