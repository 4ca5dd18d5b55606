import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage } from './errors';
import { findConflicts, formatFen, formatRate, parseYuan, formatDateTime, monthOf } from './format';
import { dictionaries, enumLabel, translate } from './i18n';
import { countdown, formatDuration, ticketSla } from './sla';

const H = 3600_000;
const NOW = Date.parse('2026-11-22T12:00:00Z');

describe('SLA countdown', () => {
  it('formats days, hours and minutes in both languages', () => {
    expect(formatDuration(27 * H + 5 * 60_000, 'zh-CN')).toBe('1天3小时');
    expect(formatDuration(27 * H, 'en')).toBe('1d 3h');
    expect(formatDuration(2 * H + 30 * 60_000, 'zh-CN')).toBe('2小时30分钟');
    expect(formatDuration(48 * H, 'zh-CN')).toBe('2天');
    expect(formatDuration(59 * 60_000, 'en')).toBe('59m');
    expect(formatDuration(30_000, 'zh-CN')).toBe('不到1分钟');
  });
  it('is ok, soon under 4 h, breached after the deadline', () => {
    expect(countdown(new Date(NOW + 27 * H).toISOString(), NOW, 'zh-CN')).toMatchObject({ state: 'ok', text: '剩余 1天3小时' });
    expect(countdown(new Date(NOW + 3 * H).toISOString(), NOW, 'zh-CN').state).toBe('soon');
    expect(countdown(new Date(NOW - 5 * H).toISOString(), NOW, 'zh-CN')).toMatchObject({ state: 'breached', text: '超时 5小时' });
    expect(countdown(new Date(NOW - 5 * H).toISOString(), NOW, 'en').text).toBe('overdue 5h');
    expect(countdown(undefined, NOW, 'zh-CN').state).toBe('done');
  });
  it('runs the response deadline until the owner was contacted, then the resolution', () => {
    const tk = { status: 'dispatched', response_due: new Date(NOW + 2 * H).toISOString(), resolve_due: new Date(NOW + 240 * H).toISOString() };
    expect(ticketSla(tk, NOW, 'zh-CN')).toMatchObject({ deadline: 'response', text: '响应 剩余 2小时', state: 'soon' });
    expect(ticketSla({ ...tk, responded_at: new Date(NOW).toISOString() }, NOW, 'zh-CN')).toMatchObject({ deadline: 'resolve', text: '办结 剩余 10天' });
    expect(ticketSla({ ...tk, status: 'closed' }, NOW, 'en')).toMatchObject({ deadline: null, state: 'done', text: 'done' });
  });
});

describe('i18n', () => {
  it('looks up, falls back to Chinese, then to the key, and fills placeholders', () => {
    expect(translate('zh-CN', 'nav.queue')).toBe('工单队列');
    expect(translate('en', 'nav.queue')).toBe('Ticket queue');
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
    expect(translate('zh-CN', 'owner.reported', { no: 'P-1' })).toBe('已提交，工单号 P-1。');
    expect(translate('zh-CN', 'owner.reported')).toContain('{no}');
  });
  it('names enum values in words and leaves unknown ones as they are', () => {
    expect(enumLabel('zh-CN', 'component', 'roof_waterproofing')).toBe('屋顶漏水');
    expect(enumLabel('en', 'status', 'in_progress')).toBe('In progress');
    expect(enumLabel('zh-CN', 'status', 'brand_new')).toBe('brand_new');
    expect(enumLabel('zh-CN', 'status', undefined)).toBe('—');
  });
  it('has the same keys in both languages', () => {
    expect(Object.keys(dictionaries.en).sort()).toEqual(Object.keys(dictionaries['zh-CN']).sort());
  });
});

describe('API errors in words', () => {
  it('maps status and code to a sentence and keeps the detail', () => {
    expect(errorMessage(new ApiError(400, 'invalid_argument', 'description: must not be empty'), 'zh-CN')).toBe(
      '填写的内容有误，请修改后再提交（问题描述: must not be empty）',
    );
    expect(errorMessage(new ApiError(409, 'failed_precondition', 'balance too low'), 'en')).toBe('Not possible in the current state (balance too low)');
    expect(errorMessage(new ApiError(429, 'rate_limited', 'slow down', 3), 'zh-CN')).toContain('3 秒');
    expect(errorMessage(new ApiError(404, 'not_found', 'no such route'), 'zh-CN')).toContain('尚未上线');
    expect(errorMessage(new ApiError(404, 'not_found', 'ticket x not found'), 'zh-CN')).toContain('找不到');
    expect(errorMessage(new ApiError(0, 'network', 'Failed to fetch'), 'zh-CN')).toContain('已保留');
    expect(errorMessage(new ApiError(503, 'unavailable', 'intake down'), 'en')).toContain('unavailable');
    expect(errorMessage(new Error('boom'), 'en')).toBe('Something went wrong (boom)');
  });
});

describe('money, rates, dates, conflicts', () => {
  it('formats fen exactly and parses yuan without floats', () => {
    expect(formatFen(20798)).toBe('¥207.98');
    expect(formatFen(175761)).toBe('¥1,757.61');
    expect(formatFen(-5)).toBe('-¥0.05');
    expect(parseYuan('12.5')).toBe(1250);
    expect(parseYuan('0.07')).toBe(7);
    expect(parseYuan('1.005')).toBeNull();
    expect(parseYuan('-1')).toBeNull();
  });
  it('shows rates from basis points and a dash without a denominator', () => {
    expect(formatRate({ numerator: 30798, denominator: 105247, basis_points: 2926 })).toBe('29.26%');
    expect(formatRate({ numerator: 0, denominator: 0, basis_points: 0 })).toBe('—');
  });
  it('shows times in the project zone', () => {
    expect(formatDateTime('2026-11-23T15:59:59Z', 'Asia/Shanghai')).toBe('2026-11-23 23:59');
    expect(monthOf(Date.parse('2026-11-30T17:00:00Z'), 'Asia/Shanghai')).toBe('2026-12');
  });
  it('finds overlapping appointments per technician', () => {
    const c = findConflicts([
      { id: 'a', who: 't1', start: '2026-11-24T01:00:00Z', end: '2026-11-24T03:00:00Z' },
      { id: 'b', who: 't1', start: '2026-11-24T02:00:00Z', end: '2026-11-24T04:00:00Z' },
      { id: 'c', who: 't1', start: '2026-11-24T04:00:00Z', end: '2026-11-24T05:00:00Z' },
      { id: 'd', who: 't2', start: '2026-11-24T01:00:00Z', end: '2026-11-24T03:00:00Z' },
    ]);
    expect([...c].sort()).toEqual(['a', 'b']);
  });
});
