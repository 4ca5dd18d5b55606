// Supervisors and finance: the KPI report as charts, arrears aging, billing runs, settlements with
// the developer, builder chargebacks and fines.
import { useState } from 'preact/hooks';
import { api, enc, listAll, newKey } from '../api';
import { ChartBox } from '../chart';
import type { Ticket } from '../domain';
import { formatDate, formatDateTime, formatFen, formatRate, monthOf, ratePercent, type Ratio } from '../format';
import { label, t } from '../i18n';
import { currentProject, type Claims } from '../session';
import { Badge, Empty, ErrorBox, Field, Link, Loading, Notice, Section, useAction, useAsync, useDraft } from '../ui';

interface Tally {
  key: string;
  count?: number;
  amount_fen?: number;
}
interface Report {
  period: string;
  tickets: null | {
    tickets_total?: number;
    by_kind?: Tally[];
    by_category?: Tally[];
    response_on_time?: Ratio;
    resolve_on_time?: Ratio;
    complaint_rate?: Ratio;
    reopened?: number;
    escalated_level1?: number;
    escalated_level2?: number;
    fines_fen?: number;
    duplicates_linked?: number;
  };
  repairs: null | {
    work_orders_created?: number;
    work_orders_signed_off?: number;
    reworks?: number;
    rework_rate?: Ratio;
    reroutes?: number;
    builder_onsite_on_time?: Ratio;
    warranty_cost_fen?: number;
    paid_repair_fen?: number;
  };
  callbacks: null | {
    due?: number;
    done?: number;
    handling_rate?: Ratio;
    on_time_rate?: Ratio;
    satisfaction_rate?: Ratio;
    satisfied?: number;
    basically_satisfied?: number;
    unsatisfied?: number;
  };
  points: null | { earned?: number; redeemed?: number; members?: number; active_members?: number };
  billing: null | {
    fee_billed_fen?: number;
    fee_collected_fen?: number;
    fee_collection_rate?: Ratio;
    arrears_fen?: number;
    chargebacks_fen?: number;
    fines_fen?: number;
    settlement_outstanding_fen?: number;
  };
  incomplete: { section: string; reason: string }[];
}

function Tile({ name, value, testid }: { name: string; value: string | number; testid?: string }) {
  return (
    <div class="tile" data-testid={testid}>
      <span>{name}</span>
      <strong>{value}</strong>
    </div>
  );
}

function NeedProject() {
  return <div class="error">{t('common.no_project')}</div>;
}

function inMonth(iso: string, month: string): boolean {
  return monthOf(Date.parse(iso)) === month;
}

export function KpiReport({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const [period, setPeriod] = useState(monthOf(Date.now()));
  const report = useAsync(() => api<Report>('GET', `/v1/projects/${enc(project)}/reports/${enc(period)}`), [project, period]);
  const tickets = useAsync(
    () => listAll<Ticket>('/v1/tickets', 'tickets', { project_id: project }, 1000).then((l) => l.filter((x) => inMonth(x.reported_at, period))),
    [project, period],
  );
  const r = report.data;
  if (!project) return <NeedProject />;
  return (
    <>
      <Section
        title={t('nav.kpi')}
        actions={
          <label class="inline">
            {t('report.period')} <input type="month" value={period} onChange={(e) => setPeriod(e.currentTarget.value || period)} />
          </label>
        }
      >
        <ErrorBox error={report.error} />
        <Loading when={report.loading && !r} />
        {r && r.incomplete?.length > 0 && (
          <div class="error" role="alert">
            {t('report.incomplete', { sections: r.incomplete.map((i) => t(`report.section.${i.section}`)).join(', ') })}
          </div>
        )}
        {r && (
          <div class="tiles" data-testid="kpi-tiles">
            <Tile name={t('report.tickets_total')} value={r.tickets?.tickets_total ?? '—'} testid="kpi-tickets-total" />
            <Tile name={t('report.response_on_time')} value={formatRate(r.tickets?.response_on_time)} />
            <Tile name={t('report.resolve_on_time')} value={formatRate(r.tickets?.resolve_on_time)} />
            <Tile name={t('report.rework_rate')} value={formatRate(r.repairs?.rework_rate)} />
            <Tile name={t('report.satisfaction')} value={formatRate(r.callbacks?.satisfaction_rate)} />
            <Tile name={t('report.escalations')} value={`${r.tickets?.escalated_level1 ?? 0} / ${r.tickets?.escalated_level2 ?? 0}`} />
            <Tile name={t('report.collection_rate')} value={formatRate(r.billing?.fee_collection_rate)} />
            <Tile name={t('report.complaint_rate')} value={formatRate(r.tickets?.complaint_rate)} />
          </div>
        )}
      </Section>
      {r && (
        <div class="chart-grid">
          <Section title={t('report.on_time_rates')}>
            <ChartBox
              type="bar"
              horizontal
              percent
              testid="chart-on-time"
              labels={[t('report.response_on_time'), t('report.resolve_on_time'), t('report.builder_onsite'), t('report.callback_on_time'), t('report.callback_handling')]}
              series={[
                {
                  label: '%',
                  data: [
                    ratePercent(r.tickets?.response_on_time),
                    ratePercent(r.tickets?.resolve_on_time),
                    ratePercent(r.repairs?.builder_onsite_on_time),
                    ratePercent(r.callbacks?.on_time_rate),
                    ratePercent(r.callbacks?.handling_rate),
                  ],
                },
              ]}
            />
          </Section>
          <Section title={t('report.tickets_by_kind')}>
            <ChartBox
              type="bar"
              testid="chart-kinds"
              labels={(r.tickets?.by_kind ?? []).map((x) => label('kind', x.key))}
              series={[{ label: t('report.tickets'), data: (r.tickets?.by_kind ?? []).map((x) => x.count ?? 0) }]}
            />
          </Section>
          <Section title={t('report.satisfaction')}>
            <ChartBox
              type="doughnut"
              testid="chart-satisfaction"
              labels={[label('satisfaction', 'satisfied'), label('satisfaction', 'basically_satisfied'), label('satisfaction', 'unsatisfied')]}
              series={[{ label: '', data: [r.callbacks?.satisfied ?? 0, r.callbacks?.basically_satisfied ?? 0, r.callbacks?.unsatisfied ?? 0] }]}
            />
            <p class="hint">
              {t('report.satisfaction')} {formatRate(r.callbacks?.satisfaction_rate)} · {t('report.callbacks_done')} {r.callbacks?.done ?? 0}/{r.callbacks?.due ?? 0}
            </p>
          </Section>
          <Section title={t('report.rework_and_escalations')}>
            <ChartBox
              type="bar"
              testid="chart-rework"
              labels={[t('report.wo_created'), t('report.wo_signed_off'), t('report.reworks'), t('report.reroutes'), t('report.reopened'), t('report.level1'), t('report.level2')]}
              series={[
                {
                  label: t('report.count'),
                  data: [
                    r.repairs?.work_orders_created ?? 0,
                    r.repairs?.work_orders_signed_off ?? 0,
                    r.repairs?.reworks ?? 0,
                    r.repairs?.reroutes ?? 0,
                    r.tickets?.reopened ?? 0,
                    r.tickets?.escalated_level1 ?? 0,
                    r.tickets?.escalated_level2 ?? 0,
                  ],
                },
              ]}
            />
            <p class="hint">
              {t('report.rework_rate')} {formatRate(r.repairs?.rework_rate)} · {t('report.fines')} {formatFen(r.tickets?.fines_fen)}
            </p>
          </Section>
          <Section title={t('report.collection')}>
            <ChartBox
              type="doughnut"
              testid="chart-collection"
              labels={[t('report.collected'), t('report.uncollected')]}
              series={[{ label: '', data: [(r.billing?.fee_collected_fen ?? 0) / 100, Math.max(0, ((r.billing?.fee_billed_fen ?? 0) - (r.billing?.fee_collected_fen ?? 0)) / 100)] }]}
            />
            <p class="hint">
              {t('report.collection_rate')} {formatRate(r.billing?.fee_collection_rate)} · {t('report.billed')} {formatFen(r.billing?.fee_billed_fen)} · {t('report.arrears')}{' '}
              {formatFen(r.billing?.arrears_fen)}
            </p>
          </Section>
        </div>
      )}
      <Section title={t('report.period_tickets')}>
        <ErrorBox error={tickets.error} />
        {tickets.data?.length === 0 && <Empty />}
        {tickets.data && tickets.data.length > 0 && (
          <table class="table" data-testid="report-tickets">
            <tbody>
              {tickets.data.map((tk) => (
                <tr>
                  <td>
                    <Link to={`/tickets/${tk.ticket_id}`}>{tk.ticket_no}</Link>
                  </td>
                  <td>{formatDateTime(tk.reported_at)}</td>
                  <td>
                    {label('kind', tk.kind)} · {label('component', tk.component)}
                  </td>
                  <td class="desc">{tk.description}</td>
                  <td>
                    <Badge group="status" value={tk.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

interface Bucket {
  months_overdue?: number;
  min_days_overdue?: number;
  max_days_overdue?: number;
  amount_fen?: number;
  invoices?: number;
}
function bucketName(b: Bucket): string {
  if (b.min_days_overdue === undefined && b.max_days_overdue === undefined) return t('arrears.not_due');
  if (!b.max_days_overdue) return t('arrears.days_over', { min: b.min_days_overdue ?? 0 });
  return t('arrears.days', { min: b.min_days_overdue ?? 0, max: b.max_days_overdue });
}

export function Arrears({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const data = useAsync(() => api<any>('GET', `/v1/projects/${enc(project)}/arrears`), [project]);
  const d = data.data;
  if (!project) return <NeedProject />;
  return (
    <Section title={t('nav.arrears')}>
      <ErrorBox error={data.error} />
      <Loading when={data.loading && !d} />
      {d && (
        <>
          <div class="tiles">
            <Tile name={t('arrears.outstanding')} value={formatFen(d.total_outstanding_fen)} />
            <Tile name={t('arrears.overdue')} value={formatFen(d.total_overdue_fen)} />
            <Tile name={t('arrears.as_of')} value={formatDate(d.as_of)} />
          </div>
          {(d.project_buckets ?? []).length > 0 && (
            <ChartBox
              type="bar"
              testid="chart-aging"
              labels={(d.project_buckets as Bucket[]).map(bucketName)}
              series={[{ label: '¥', data: (d.project_buckets as Bucket[]).map((b) => (b.amount_fen ?? 0) / 100) }]}
            />
          )}
          {(d.units ?? []).length === 0 && <Empty text={t('arrears.none')} />}
          {(d.units ?? []).length > 0 && (
            <table class="table" data-testid="arrears">
              <thead>
                <tr>
                  <th>{t('field.unit_id')}</th>
                  <th>{t('arrears.phone')}</th>
                  <th>{t('arrears.overdue')}</th>
                  <th>{t('arrears.not_due')}</th>
                  <th>{t('arrears.aging')}</th>
                  <th>{t('arrears.oldest')}</th>
                </tr>
              </thead>
              <tbody>
                {d.units.map((u: any) => (
                  <tr>
                    <td>
                      {u.building} {u.room}
                    </td>
                    <td>{u.owner_phone_masked}</td>
                    <td class="num">{formatFen(u.overdue_fen)}</td>
                    <td class="num">{formatFen(u.current_fen)}</td>
                    <td>
                      {(u.buckets ?? []).map((b: Bucket) => (
                        <span class="chip small">
                          {bucketName(b)} {formatFen(b.amount_fen)}
                        </span>
                      ))}
                    </td>
                    <td>{u.oldest_period}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Section>
  );
}

export function BillingRuns({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const [form, update, clear] = useDraft(`billing-${project}`, () => ({ period: monthOf(Date.now()), key: newKey() }));
  const { busy, error, run } = useAction();
  const [result, setResult] = useState<any>(null);
  const invoices = useAsync(() => listAll<any>('/v1/invoices', 'invoices', { project_id: project, period: form.period }, 2000), [project, form.period]);
  if (!project) return <NeedProject />;
  return (
    <>
      <Section title={t('nav.billing')}>
        <form
          class="form inline-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const out = await run(() => api('POST', '/v1/billing/runs', { project_id: project, period: form.period }, { idempotencyKey: `${form.key}-${form.period}` }));
            if (out) {
              setResult(out);
              clear();
              invoices.reload();
            }
          }}
        >
          <Field label={t('report.period')}>
            <input type="month" required value={form.period} onChange={(e) => update({ period: e.currentTarget.value })} />
          </Field>
          <button class="primary" disabled={busy}>
            {t('billing.run')}
          </button>
        </form>
        <ErrorBox error={error} />
        {result && <Notice>{t('billing.result', { created: result.created ?? 0, existing: result.existing ?? 0 })}</Notice>}
      </Section>
      <Section title={t('billing.invoices', { period: form.period })}>
        <ErrorBox error={invoices.error} />
        {invoices.data?.length === 0 && <Empty />}
        {invoices.data && invoices.data.length > 0 && (
          <table class="table" data-testid="invoices">
            <thead>
              <tr>
                <th>{t('field.unit_id')}</th>
                <th>{t('billing.kind')}</th>
                <th>{t('owner.amount')}</th>
                <th>{t('owner.paid_amount')}</th>
                <th>{t('owner.due_date')}</th>
                <th>{t('field.status')}</th>
              </tr>
            </thead>
            <tbody>
              {invoices.data.map((i) => (
                <tr>
                  <td>{i.unit_id}</td>
                  <td>{label('invoice_kind', i.kind)}</td>
                  <td class="num">{formatFen(i.amount_fen)}</td>
                  <td class="num">{formatFen(i.paid_fen)}</td>
                  <td>{i.due_date}</td>
                  <td>
                    <Badge group="invoice" value={i.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

export function Settlements({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const list = useAsync(() => api<{ settlements: any[] }>('GET', `/v1/projects/${enc(project)}/settlements`), [project]);
  const [form, update, clear] = useDraft(`settle-${project}`, () => ({ period: monthOf(Date.now()), key: newKey() }));
  const { busy, error, run } = useAction();
  const [openId, setOpenId] = useState('');
  if (!project) return <NeedProject />;
  return (
    <Section title={t('nav.settlements')}>
      <form
        class="form inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run(() => api('POST', `/v1/projects/${enc(project)}/settlements`, { period: form.period }, { idempotencyKey: `${form.key}-${form.period}` }))) {
            clear();
            list.reload();
          }
        }}
      >
        <Field label={t('report.period')}>
          <input type="month" required value={form.period} onChange={(e) => update({ period: e.currentTarget.value })} />
        </Field>
        <button class="primary" disabled={busy}>
          {t('settlement.issue')}
        </button>
      </form>
      <ErrorBox error={error} />
      <ErrorBox error={list.error} />
      {list.data?.settlements?.length === 0 && <Empty />}
      {(list.data?.settlements ?? []).map((s) => (
        <div class="card inner" data-testid="settlement">
          <div class="row">
            <strong>
              {s.period} · {formatFen(s.total_fen)}
            </strong>
            <Badge group="settlement" value={s.status} />
          </div>
          <div class="meta">
            {t('settlement.warranty')} {formatFen(s.warranty_repair_fen)} · {t('settlement.fees')} {formatFen(s.property_fee_fen)} · {t('settlement.paid')}{' '}
            {formatFen(s.paid_fen)} · {formatDateTime(s.issued_at)}
          </div>
          <button class="link-button" onClick={() => setOpenId(openId === s.settlement_id ? '' : s.settlement_id)}>
            {t('settlement.items', { n: s.items?.length ?? 0 })}
          </button>
          {openId === s.settlement_id && (
            <table class="table">
              <tbody>
                {(s.items ?? []).map((it: any) => (
                  <tr>
                    <td>{it.kind}</td>
                    <td>{it.unit_id || it.builder_party_id}</td>
                    <td>{it.period}</td>
                    <td class="num">{formatFen(it.amount_fen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </Section>
  );
}

export function Chargebacks({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const cbs = useAsync(() => api<{ chargebacks: any[]; total_fen?: number }>('GET', `/v1/projects/${enc(project)}/chargebacks`), [project]);
  const fines = useAsync(() => api<{ fines: any[]; total_fen?: number }>('GET', `/v1/projects/${enc(project)}/fines`), [project]);
  if (!project) return <NeedProject />;
  return (
    <>
      <Section title={t('nav.chargebacks')}>
        <ErrorBox error={cbs.error} />
        {cbs.data && <Notice>{t('chargeback.total', { total: formatFen(cbs.data.total_fen) })}</Notice>}
        {cbs.data?.chargebacks?.length === 0 && <Empty />}
        {(cbs.data?.chargebacks?.length ?? 0) > 0 && (
          <table class="table" data-testid="chargebacks">
            <thead>
              <tr>
                <th>{t('chargeback.builder')}</th>
                <th>{t('report.period')}</th>
                <th>{t('owner.amount')}</th>
                <th>{t('chargeback.deducted')}</th>
                <th>{t('ticket.title')}</th>
              </tr>
            </thead>
            <tbody>
              {cbs.data!.chargebacks.map((c) => (
                <tr>
                  <td>{c.builder_party_id}</td>
                  <td>{c.period}</td>
                  <td class="num">{formatFen(c.amount_fen)}</td>
                  <td>{c.deducted ? '✓' : '—'}</td>
                  <td>{c.ticket_id && <Link to={`/tickets/${c.ticket_id}`}>{c.ticket_id.slice(0, 8)}</Link>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('chargeback.fines')}>
        <ErrorBox error={fines.error} />
        {fines.data?.fines?.length === 0 && <Empty />}
        {(fines.data?.fines ?? []).map((f) => (
          <div class="meta">
            {formatDate(f.recorded_at)} · {f.party_id} · {t('chargeback.level', { n: f.level })} · {formatFen(f.amount_fen)}
          </div>
        ))}
      </Section>
    </>
  );
}
