// Issue 20: the supervisor's targets view (a project's KPIs against its targets, the callback
// quotas by title, the KPI alerts and acknowledging them) and the HQ dashboard (every project of
// the token side by side, ranked, with totals, the worst builders and contractors and a bar chart
// per KPI). hq reads both and never gets a write button (the gateway refuses it every non-GET).
import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { formatDateTime, formatFen, formatRate, monthOf, type Ratio } from '../format';
import {
  barChart,
  byRank,
  formatBp,
  formatPoints,
  isPeriod,
  kpiOf,
  kpiState,
  KPI_ORDER,
  periodChoices,
  QUOTA_TITLES,
  targetText,
  type GroupReport,
  type KpiResult,
  type PartyRates,
  type ProjectKpis,
} from '../kpi';
import { label, t } from '../i18n';
import { navigate } from '../router';
import { currentProject, setProject, type Claims } from '../session';
import { Empty, ErrorBox, Loading, Notice, Section, useAction, useAsync, useDraft } from '../ui';

export const ACK_ROLES = ['supervisor', 'admin'];

interface Quota {
  title: string;
  share?: Ratio;
  quota_bp?: number;
  met?: boolean;
}
interface Scorecard {
  kpis?: KpiResult[];
  quotas?: Quota[];
  targets_met?: number;
  closed?: boolean;
  incomplete?: string[];
}
interface KpiAlert {
  alert_id: string;
  project_id: string;
  period_label: string;
  missed?: KpiResult[];
  raised_at?: string;
  acknowledged?: boolean;
  acknowledged_by?: string;
  acknowledged_at?: string;
  note?: string;
}

// A period as the gateway takes it (YYYY-MM, YYYY-Qn, YYYY, YYYY-Www), with suggestions; an
// unfinished entry is not applied.
export function PeriodPicker({ value, onChange }: { value: string; onChange: (p: string) => void }) {
  const [text, setText] = useState(value);
  const choices = periodChoices(monthOf(Date.now()));
  const ok = isPeriod(text.trim());
  return (
    <label class="inline">
      {t('report.period')}
      <input
        name="period"
        list="period-choices"
        class={ok ? 'period-input' : 'period-input invalid'}
        value={text}
        title={t('targets.period_hint')}
        onInput={(e) => setText(e.currentTarget.value)}
        onChange={(e) => {
          const p = e.currentTarget.value.trim();
          if (isPeriod(p)) onChange(p);
        }}
      />
      <datalist id="period-choices">
        {choices.map((c) => (
          <option value={c} />
        ))}
      </datalist>
    </label>
  );
}

function KpiStateBadge({ k }: { k: KpiResult }) {
  const s = kpiState(k);
  return (
    <span class={`badge kpi-${s}`} data-testid="kpi-state">
      {s === 'missed' ? t('targets.missed_by', { gap: formatPoints(k.gap_bp) }) : t(`targets.state.${s}`)}
    </span>
  );
}

function KpiTable({ kpis, testid }: { kpis: KpiResult[]; testid: string }) {
  return (
    <table class="table" data-testid={testid}>
      <thead>
        <tr>
          <th>{t('targets.kpi')}</th>
          <th>{t('targets.actual')}</th>
          <th>{t('targets.target')}</th>
          <th>{t('targets.figures')}</th>
          <th>{t('field.status')}</th>
        </tr>
      </thead>
      <tbody>
        {kpis.map((k) => (
          <tr data-kpi={k.kpi} class={kpiState(k) === 'missed' ? 'missed' : ''}>
            <td>{label('kpi', k.kpi)}</td>
            <td class="num">{formatRate(k.actual)}</td>
            <td class="num">{targetText(k)}</td>
            <td class="num">
              {!k.actual?.denominator
                ? '—'
                : k.kpi === 'fee_collection' // collected / billed fen
                  ? `${formatFen(Number(k.actual.numerator ?? 0))}/${formatFen(Number(k.actual.denominator))}`
                  : `${k.actual.numerator ?? 0}/${k.actual.denominator}`}
            </td>
            <td>
              <KpiStateBadge k={k} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AckForm({ alert, onDone }: { alert: KpiAlert; onDone: (a: KpiAlert) => void }) {
  const [form, update, clear] = useDraft(`ack-${alert.alert_id}`, { note: '' });
  const { busy, error, run } = useAction();
  return (
    <form
      class="form inline-form mini"
      data-testid="ack-form"
      onSubmit={async (e) => {
        e.preventDefault();
        const out = await run(() => api<KpiAlert>('POST', `/v1/kpi-alerts/${enc(alert.alert_id)}/acknowledge`, { note: form.note.trim() }));
        if (out) {
          clear();
          onDone(out);
        }
      }}
    >
      <input name="note" maxLength={2000} placeholder={t('targets.ack_note')} aria-label={t('targets.ack_note')} value={form.note} onInput={(e) => update({ note: e.currentTarget.value })} />
      <button class="primary" disabled={busy}>
        {t('targets.acknowledge')}
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

function KpiAlerts({ project, canAck }: { project: string; canAck: boolean }) {
  const [openOnly, setOpenOnly] = useState(false);
  const list = useAsync(
    () => api<{ alerts?: KpiAlert[] }>('GET', `/v1/projects/${enc(project)}/kpi-alerts`, undefined, { query: { open_only: openOnly ? 'true' : undefined, page_size: 200 } }),
    [project, openOnly],
  );
  const [acked, setAcked] = useState('');
  const alerts = list.data?.alerts ?? [];
  return (
    <Section
      title={t('targets.alerts')}
      actions={
        <>
          <label class="inline">
            <input type="checkbox" name="open_only" checked={openOnly} onChange={(e) => setOpenOnly(e.currentTarget.checked)} /> {t('targets.open_only')}
          </label>
          <button type="button" data-testid="alerts-refresh" onClick={list.reload}>
            {t('common.refresh')}
          </button>
        </>
      }
    >
      <p class="hint">{t('targets.alerts_hint')}</p>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {acked && <Notice>{t('targets.acknowledged_notice', { period: acked })}</Notice>}
      {list.data && alerts.length === 0 && <Empty text={t('targets.no_alerts')} />}
      <ul class="message-list" data-testid="kpi-alerts">
        {alerts.map((a) => (
          <li class={`card inner ${a.acknowledged ? '' : 'alert-open'}`} data-testid="kpi-alert" data-period={a.period_label}>
            <div class="row">
              <strong>
                {a.period_label} · {t('targets.missed_n', { n: (a.missed ?? []).length })}
              </strong>
              <span class={`badge ${a.acknowledged ? 'alert-acknowledged' : 'alert-open'}`} data-testid="alert-status">
                {a.acknowledged ? t('targets.alert_acknowledged') : t('targets.alert_open')}
              </span>
            </div>
            <div class="chips">
              {(a.missed ?? []).map((k) => (
                <span class="chip small" data-kpi={k.kpi}>
                  {label('kpi', k.kpi)} {formatRate(k.actual)} ({targetText(k)})
                </span>
              ))}
            </div>
            <div class="meta">
              {t('targets.raised_at')} {formatDateTime(a.raised_at)}
              {a.acknowledged && (
                <>
                  {' · '}
                  {t('targets.acknowledged_by', { who: a.acknowledged_by ?? '', at: formatDateTime(a.acknowledged_at) })}
                  {a.note ? ` · ${a.note}` : ''}
                </>
              )}
            </div>
            {canAck && !a.acknowledged && (
              <AckForm
                alert={a}
                onDone={(out) => {
                  setAcked(out.period_label || a.period_label);
                  list.setData({ alerts: alerts.map((x) => (x.alert_id === a.alert_id ? { ...x, ...out } : x)) });
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </Section>
  );
}

export function TargetsView({ who }: { who: Claims }) {
  const project = currentProject();
  const [period, setPeriod] = useState(monthOf(Date.now()));
  const report = useAsync(
    () => (project ? api<{ targets?: Scorecard | null; incomplete?: { section: string }[] }>('GET', `/v1/projects/${enc(project)}/reports/${enc(period)}`) : Promise.resolve(null)),
    [project, period],
  );
  if (!project) return <div class="error">{t('common.no_project')}</div>;
  const card = report.data?.targets;
  const kpis = card?.kpis ?? [];
  const quotas = [...(card?.quotas ?? [])].sort((a, b) => QUOTA_TITLES.indexOf(a.title) - QUOTA_TITLES.indexOf(b.title));
  return (
    <>
      <Section title={t('targets.title', { project })} actions={<PeriodPicker value={period} onChange={setPeriod} />}>
        <ErrorBox error={report.error} />
        <Loading when={report.loading && !report.data} />
        {report.data && !card && <div class="error" role="alert">{t('targets.unavailable')}</div>}
        {card && (card.incomplete ?? []).length > 0 && (
          <div class="error" role="alert">
            {t('targets.incomplete', { sources: (card.incomplete ?? []).join(', ') })}
          </div>
        )}
        {card && (
          <>
            <div class="tiles">
              <div class="tile" data-testid="targets-met">
                <span>{t('targets.met_count')}</span>
                <strong>
                  {card.targets_met ?? 0}/{kpis.length}
                </strong>
              </div>
              <div class="tile">
                <span>{t('targets.period_state')}</span>
                <strong class="small">{card.closed ? t('targets.closed') : t('targets.open')}</strong>
              </div>
            </div>
            <KpiTable kpis={kpis} testid="targets-kpis" />
          </>
        )}
      </Section>
      {card && quotas.length > 0 && (
        <Section title={t('targets.quotas')}>
          <p class="hint">{t('targets.quotas_hint')}</p>
          <table class="table" data-testid="targets-quotas">
            <tbody>
              {quotas.map((q) => (
                <tr>
                  <td>{label('quota_title', q.title)}</td>
                  <td class="num">{formatRate(q.share)}</td>
                  <td class="num">≥ {formatBp(q.quota_bp)}</td>
                  <td>
                    <span class={`badge ${q.met ? 'kpi-met' : 'kpi-missed'}`}>{q.met ? t('targets.state.met') : t('targets.state.missed')}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      <KpiAlerts project={project} canAck={ACK_ROLES.includes(who.role)} />
    </>
  );
}

// ---- HQ dashboard ---------------------------------------------------------------------------

function KpiBars({ kpi, projects, total }: { kpi: string; projects: ProjectKpis[]; total?: KpiResult }) {
  const first = total ?? projects.map((p) => kpiOf(p, kpi)).find(Boolean);
  const targetPercent = (first?.target_bp ?? 0) / 100;
  const items = projects.map((p) => ({ key: p.project_id, kpi: kpiOf(p, kpi) }));
  const c = barChart(items, targetPercent, Math.max(240, projects.length * 56), 170);
  const slot = items.length ? c.width / items.length : c.width;
  return (
    <figure class="kpi-chart" data-testid="kpi-chart" data-kpi={kpi}>
      <figcaption>
        <strong>{label('kpi', kpi)}</strong> <span class="hint">{first ? t('targets.target_is', { target: targetText(first) }) : ''}</span>
      </figcaption>
      <svg viewBox={`0 0 ${c.width} ${c.height}`} role="img" aria-label={label('kpi', kpi)} preserveAspectRatio="xMidYMid meet">
        <line x1="0" x2={c.width} y1={c.bottom} y2={c.bottom} class="axis" />
        <text x="2" y={c.top - 3} class="axis-label">
          {c.max}%
        </text>
        {c.bars.map((b) => (
          <g>
            {b.value !== null && (
              <rect x={b.x} y={b.y} width={b.width} height={Math.max(b.height, 1)} class={`bar bar-${b.state}`} data-testid="kpi-bar" data-project={b.key} data-state={b.state}>
                <title>
                  {b.key}: {b.value}%
                </title>
              </rect>
            )}
            <text x={b.x + b.width / 2} y={(b.value === null ? c.bottom : b.y) - 3} class="bar-value" text-anchor="middle">
              {b.value === null ? '—' : `${Math.round(b.value * 10) / 10}%`}
            </text>
            <text x={b.x + b.width / 2} y={c.height - 6} class="bar-label" text-anchor="middle">
              {b.key.length > Math.floor(slot / 7) ? `${b.key.slice(0, Math.max(3, Math.floor(slot / 7) - 1))}…` : b.key}
            </text>
          </g>
        ))}
        <line x1="0" x2={c.width} y1={c.targetY} y2={c.targetY} class="target-line" data-testid="target-line" />
      </svg>
    </figure>
  );
}

function PartyTable({ rows, testid, empty }: { rows: PartyRates[]; testid: string; empty: string }) {
  if (rows.length === 0)
    return (
      <div data-testid={testid}>
        <Empty text={empty} />
      </div>
    );
  return (
    <table class="table" data-testid={testid}>
      <thead>
        <tr>
          <th>#</th>
          <th>{t('hq.party')}</th>
          <th>{t('hq.rework_rate')}</th>
          <th>{t('hq.on_time_rate')}</th>
          <th>{t('hq.signed_off')}</th>
          <th>{t('hq.projects')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr data-testid="party-row">
            <td>{i + 1}</td>
            <td>
              {r.party_id} <span class="hint">{label('party', r.kind)}</span>
            </td>
            <td class="num">{formatRate(r.rework_rate)}</td>
            <td class="num">{formatRate(r.on_time_rate)}</td>
            <td class="num">{r.signed_off ?? 0}</td>
            <td class="num">{r.projects ?? 0}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function HqDashboard({ who }: { who: Claims }) {
  const [period, setPeriod] = useState(monthOf(Date.now()));
  const report = useAsync(() => api<GroupReport>('GET', `/v1/reports/${enc(period)}`), [period]);
  const r = report.data;
  const projects = byRank(r?.projects ?? []);
  const totals = r?.totals ?? [];
  const kpis = KPI_ORDER.filter((k) => totals.some((x) => x.kpi === k) || projects.some((p) => kpiOf(p, k)));
  const open = (p: string) => {
    setProject(p);
    navigate('/reports/targets');
  };
  return (
    <>
      <Section
        title={t('hq.title')}
        actions={
          <>
            <PeriodPicker value={period} onChange={setPeriod} />
            <button type="button" data-testid="hq-refresh" onClick={report.reload}>
              {t('common.refresh')}
            </button>
          </>
        }
      >
        <p class="hint">{t(who.role === 'hq' ? 'hq.hint_readonly' : 'hq.hint')}</p>
        <ErrorBox error={report.error} />
        <Loading when={report.loading && !r} />
        {r && (r.incomplete ?? []).length > 0 && (
          <div class="error" role="alert">
            {t('targets.incomplete', { sources: (r.incomplete ?? []).join(', ') })}
          </div>
        )}
        {r && projects.length === 0 && <Empty text={t('hq.no_projects')} />}
        {r && projects.length > 0 && (
          <div class="table-wrap">
            <table class="table ranking" data-testid="hq-ranking">
              <thead>
                <tr>
                  <th>{t('hq.rank')}</th>
                  <th>{t('common.project')}</th>
                  <th>{t('targets.met_count')}</th>
                  <th>{t('hq.gap')}</th>
                  {kpis.map((k) => (
                    <th>{label('kpi', k)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {projects.map((p) => (
                  <tr data-testid="hq-row" data-project={p.project_id} data-rank={p.rank}>
                    <td class="num" data-testid="hq-rank">
                      {p.rank ?? '—'}
                    </td>
                    <td>
                      <a
                        href="/reports/targets"
                        onClick={(e) => {
                          e.preventDefault();
                          open(p.project_id);
                        }}
                      >
                        {p.project_id}
                      </a>
                    </td>
                    <td class="num">
                      {p.targets_met ?? 0}/{(p.kpis ?? []).length}
                    </td>
                    <td class="num">{p.gap_bp ? formatPoints(p.gap_bp) : '—'}</td>
                    {kpis.map((k) => {
                      const v = kpiOf(p, k);
                      return <td class={`num kpi-cell kpi-${v ? kpiState(v) : 'unmeasured'}`}>{v ? formatRate(v.actual) : '—'}</td>;
                    })}
                  </tr>
                ))}
              </tbody>
              {totals.length > 0 && (
                <tfoot>
                  <tr data-testid="hq-totals">
                    <th colSpan={2}>{t('hq.totals')}</th>
                    <th class="num">
                      {totals.filter((k) => k.met || kpiState(k) === 'unmeasured').length}/{totals.length}
                    </th>
                    <th />
                    {kpis.map((k) => {
                      const v = totals.find((x) => x.kpi === k);
                      return <th class={`num kpi-cell kpi-${v ? kpiState(v) : 'unmeasured'}`}>{v ? formatRate(v.actual) : '—'}</th>;
                    })}
                  </tr>
                </tfoot>
              )}
            </table>
          </div>
        )}
      </Section>
      {r && projects.length > 0 && (
        <Section title={t('hq.charts')}>
          <p class="hint">{t('hq.charts_hint')}</p>
          <div class="kpi-charts">
            {kpis.map((k) => (
              <KpiBars kpi={k} projects={projects} total={totals.find((x) => x.kpi === k)} />
            ))}
          </div>
        </Section>
      )}
      {r && (
        <div class="chart-grid">
          <Section title={t('hq.worst_builders')}>
            <PartyTable rows={r.worst_builders ?? []} testid="worst-builders" empty={t('hq.no_parties')} />
          </Section>
          <Section title={t('hq.worst_contractors')}>
            <PartyTable rows={r.worst_contractors ?? []} testid="worst-contractors" empty={t('hq.no_parties')} />
          </Section>
        </div>
      )}
    </>
  );
}

