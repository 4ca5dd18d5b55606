// Targets and the group view (issue 20), pure: KPI names and order, targets in words, report
// periods, and the geometry of the dashboard's SVG bar charts (unit-tested in kpi.test.ts).
import type { Ratio } from './format';

// callback's catalog order (ScorecardResponse.kpis).
export const KPI_ORDER = ['satisfaction', 'fee_collection', 'complaint_rate', 'callback_handling', 'response_on_time', 'resolve_on_time'];
export const QUOTA_TITLES = ['manager', 'supervisor', 'repair_lead'];

export interface KpiResult {
  kpi: string;
  actual?: Ratio;
  target_bp?: number;
  ceiling?: boolean; // complaint rate: met when strictly below the target
  measured?: boolean;
  met?: boolean;
  gap_bp?: number;
}
export interface ProjectKpis {
  project_id: string;
  rank?: number;
  kpis?: KpiResult[];
  targets_met?: number;
  gap_bp?: number;
}
export interface PartyRates {
  party_id: string;
  kind?: string;
  projects?: number;
  signed_off?: number | string;
  rework_rate?: Ratio;
  on_time_rate?: Ratio;
}
export interface GroupReport {
  period: string;
  projects?: ProjectKpis[];
  totals?: KpiResult[];
  worst_builders?: PartyRates[];
  worst_contractors?: PartyRates[];
  incomplete?: string[];
}

// 8500 -> "85%", 50 -> "0.5%", 12345 -> "123.45%".
export function formatBp(bp: number | undefined): string {
  const v = Math.round(bp ?? 0);
  const whole = Math.trunc(v / 100);
  const frac = Math.abs(v % 100);
  if (frac === 0) return `${whole}%`;
  return `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}%`;
}

// A gap in percentage points: 8000 -> "80", 50 -> "0.5".
export function formatPoints(bp: number | undefined): string {
  return formatBp(bp).slice(0, -1);
}

// "≥ 85%" for floors, "< 1%" for ceilings.
export function targetText(k: KpiResult): string {
  return `${k.ceiling ? '<' : '≥'} ${formatBp(k.target_bp)}`;
}

// measured: denominator > 0 (the service says so; older answers leave the flag out).
export function isMeasured(k: KpiResult): boolean {
  return k.measured ?? (Number(k.actual?.denominator ?? 0) > 0);
}

// The KPI's value in percent for a chart, null when there was nothing to measure.
export function kpiPercent(k: KpiResult | undefined): number | null {
  if (!k || !isMeasured(k)) return null;
  return (k.actual?.basis_points ?? 0) / 100;
}

// State of a KPI as the console shows it: met, missed or nothing measured.
export function kpiState(k: KpiResult): 'met' | 'missed' | 'unmeasured' {
  if (!isMeasured(k)) return 'unmeasured';
  return k.met ? 'met' : 'missed';
}

// Projects in rank order (1 first; unranked last, then by id) — the service ranks, the console
// only keeps its order stable.
export function byRank(projects: ProjectKpis[]): ProjectKpis[] {
  return [...projects].sort(
    (a, b) => (a.rank || Number.MAX_SAFE_INTEGER) - (b.rank || Number.MAX_SAFE_INTEGER) || a.project_id.localeCompare(b.project_id),
  );
}

export function kpiOf(p: ProjectKpis, kpi: string): KpiResult | undefined {
  return (p.kpis ?? []).find((k) => k.kpi === kpi);
}

// Smallest 1, 2 or 5 x 10^n at or above x (an axis that reads well), at least 1.
export function niceCeil(x: number): number {
  if (!(x > 1)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x - 1e-9) return m * p;
  return 10 * p;
}

export interface Bar {
  key: string;
  x: number;
  width: number;
  y: number; // top of the bar
  height: number;
  value: number | null;
  state: 'met' | 'missed' | 'unmeasured';
}
export interface BarChart {
  width: number;
  height: number;
  top: number; // plot area
  bottom: number;
  max: number; // axis maximum in percent
  targetY: number;
  bars: Bar[];
}

// Bars per project of one KPI against its target line, in an SVG of `width` x `height`: the axis
// runs from 0 to a round maximum covering the target and every value; unmeasured projects get no
// bar (their slot stays, labelled —).
export function barChart(
  items: { key: string; kpi?: KpiResult }[],
  targetPercent: number,
  width = 320,
  height = 160,
): BarChart {
  const top = 14;
  const bottom = height - 22;
  const values = items.map((i) => kpiPercent(i.kpi));
  const max = niceCeil(Math.max(targetPercent, ...values.map((v) => v ?? 0)));
  const scale = (v: number) => bottom - ((bottom - top) * Math.min(v, max)) / max;
  const slot = items.length ? width / items.length : width;
  const barWidth = Math.max(6, Math.min(48, slot * 0.6));
  const bars = items.map((item, i) => {
    const v = values[i];
    const y = v === null ? bottom : scale(v);
    return {
      key: item.key,
      x: slot * i + (slot - barWidth) / 2,
      width: barWidth,
      y,
      height: bottom - y,
      value: v,
      state: item.kpi ? kpiState(item.kpi) : 'unmeasured',
    } as Bar;
  });
  return { width, height, top, bottom, max, targetY: scale(targetPercent), bars };
}

// Report periods: YYYY-MM, YYYY-Www, YYYY-Qn or YYYY (the gateway's {period}).
export function isPeriod(s: string): boolean {
  return /^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-W(0[1-9]|[1-4]\d|5[0-3]))?$/.test(s);
}

// Suggestions for the period picker around a local month "YYYY-MM": this and last month, this
// and last quarter, this and last year.
export function periodChoices(month: string): string[] {
  const [y, m] = month.split('-').map(Number);
  const prevMonth = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  const q = Math.floor((m - 1) / 3) + 1;
  const prevQuarter = q === 1 ? `${y - 1}-Q4` : `${y}-Q${q - 1}`;
  return [month, prevMonth, `${y}-Q${q}`, prevQuarter, String(y), String(y - 1)];
}
