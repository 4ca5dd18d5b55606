import { describe, expect, it } from 'vitest';
import { barChart, byRank, formatBp, formatPoints, isPeriod, kpiPercent, kpiState, niceCeil, periodChoices, targetText } from './kpi';

const met = (bp: number, n = 1, d = 1) => ({ kpi: 'satisfaction', actual: { numerator: n, denominator: d, basis_points: bp }, target_bp: 8500, measured: true, met: bp >= 8500 });

describe('targets in words', () => {
  it('formats basis points as a percent without trailing zeros', () => {
    expect(formatBp(8500)).toBe('85%');
    expect(formatBp(100)).toBe('1%');
    expect(formatBp(50)).toBe('0.5%');
    expect(formatBp(12345)).toBe('123.45%');
    expect(formatBp(undefined)).toBe('0%');
    expect(formatPoints(8000)).toBe('80');
    expect(formatPoints(50)).toBe('0.5');
  });
  it('says floor or ceiling', () => {
    expect(targetText({ kpi: 'satisfaction', target_bp: 8500 })).toBe('≥ 85%');
    expect(targetText({ kpi: 'complaint_rate', target_bp: 100, ceiling: true })).toBe('< 1%');
  });
  it('tells met, missed and nothing measured apart', () => {
    expect(kpiState(met(9000))).toBe('met');
    expect(kpiState(met(5000))).toBe('missed');
    expect(kpiState({ kpi: 'satisfaction', actual: { numerator: 0, denominator: 0 }, met: true })).toBe('unmeasured');
    expect(kpiState({ kpi: 'satisfaction', actual: { numerator: 0, denominator: 0 }, met: true, measured: false })).toBe('unmeasured');
    expect(kpiPercent({ kpi: 'x', actual: { numerator: 0, denominator: 0 } })).toBeNull();
    expect(kpiPercent(met(8750))).toBe(87.5);
  });
});

describe('group view', () => {
  it('keeps the service rank order, unranked last', () => {
    const out = byRank([
      { project_id: 'b', rank: 2 },
      { project_id: 'z' },
      { project_id: 'a', rank: 1 },
    ]);
    expect(out.map((p) => p.project_id)).toEqual(['a', 'b', 'z']);
  });
  it('rounds the axis up to 1, 2 or 5 x 10^n', () => {
    expect(niceCeil(0)).toBe(1);
    expect(niceCeil(1)).toBe(1);
    expect(niceCeil(1.2)).toBe(2);
    expect(niceCeil(85)).toBe(100);
    expect(niceCeil(100)).toBe(100);
    expect(niceCeil(101)).toBe(200);
    expect(niceCeil(3.5)).toBe(5);
  });
  it('draws one bar per project against the target line', () => {
    const c = barChart(
      [
        { key: 'p1', kpi: met(10000) },
        { key: 'p2', kpi: met(4250) },
        { key: 'p3', kpi: { kpi: 'satisfaction', actual: { numerator: 0, denominator: 0 }, met: true } },
      ],
      85,
      300,
      160,
    );
    expect(c.max).toBe(100);
    expect(c.bars.map((b) => b.state)).toEqual(['met', 'missed', 'unmeasured']);
    expect(c.bars[0].y).toBe(c.top); // 100 % reaches the top
    expect(c.bars[2].height).toBe(0);
    expect(c.bars[1].height).toBeCloseTo((c.bottom - c.top) * 0.425, 6);
    expect(c.targetY).toBeCloseTo(c.bottom - (c.bottom - c.top) * 0.85, 6);
    expect(c.bars[1].x).toBeGreaterThan(c.bars[0].x + c.bars[0].width);
    expect(c.bars[2].x + c.bars[2].width).toBeLessThanOrEqual(300);
  });
  it('scales a ceiling KPI so a small target stays visible', () => {
    const c = barChart([{ key: 'p1', kpi: { kpi: 'complaint_rate', actual: { numerator: 1, denominator: 50, basis_points: 200 }, measured: true, met: false, ceiling: true, target_bp: 100 } }], 1);
    expect(c.max).toBe(2);
    expect(c.bars[0].y).toBe(c.top);
    expect(c.targetY).toBeCloseTo((c.top + c.bottom) / 2, 6);
  });
});

describe('report periods', () => {
  it('accepts the gateway forms only', () => {
    for (const ok of ['2026-11', '2026-W07', '2026-Q4', '2026']) expect(isPeriod(ok)).toBe(true);
    for (const bad of ['2026-13', '2026-Q5', '2026-W54', '26-11', '2026-1', '']) expect(isPeriod(bad)).toBe(false);
  });
  it('suggests this and last month, quarter and year', () => {
    expect(periodChoices('2026-01')).toEqual(['2026-01', '2025-12', '2026-Q1', '2025-Q4', '2026', '2025']);
    expect(periodChoices('2026-12')).toEqual(['2026-12', '2026-11', '2026-Q4', '2026-Q3', '2026', '2025']);
  });
});
