// Handover desk (issue 19), laid out for a tablet: the keys not collected (remind, hand over),
// a unit's inspections with their defects (photo, record, sign, re-inspect) and the decoration
// permit queue (approve, refuse, inspect, finish). Public HTTP API only.
import { useState } from 'preact/hooks';
import { api, enc, newKey } from '../api';
import { formatDate, formatFen, parseYuan } from '../format';
import { label, t } from '../i18n';
import { preparePhoto } from '../photos';
import { currentProject, type Claims } from '../session';
import { Badge, Empty, ErrorBox, Field, Loading, Section, useAction, useAsync } from '../ui';

interface Defect {
  defect_id: string;
  component: string;
  location: string;
  description: string;
  severity: string;
  status: string;
  work_order_id?: string;
  ticket_id?: string;
  rectify_due?: string;
}
interface Inspection {
  inspection_id: string;
  stage: string;
  status: string;
  defects?: Defect[];
}
interface KeyRow {
  unit_id: string;
  building: string;
  room: string;
  days_overdue?: number;
  reminders?: number;
}
interface Permit {
  permit_id: string;
  unit_id: string;
  status: string;
  contractor_name?: string;
  deposit_fen?: number;
  deductions_fen?: number;
  deposit_refunded_fen?: number;
}

const COMPONENTS = ['decoration', 'door_window', 'bathroom_waterproofing', 'plumbing', 'electrical', 'exterior_wall', 'other'];

function today(): string {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function KeysList({ project, onPick }: { project: string; onPick: (unit: string) => void }) {
  const keys = useAsync(() => api<{ units?: KeyRow[] }>('GET', `/v1/projects/${enc(project)}/uncollected-keys`), [project]);
  const { busy, error, run } = useAction();
  const [tickets, setTickets] = useState<Record<string, string[]>>({});
  const remind = (u: string) => run(() => api('POST', `/v1/projects/${enc(project)}/key-reminders`, { unit_ids: [u] })).then(() => keys.reload());
  const handOver = async (u: string) => {
    const out = await run(() => api<{ ticket_ids?: string[] }>('POST', `/v1/units/${enc(u)}/handover`, { handed_over_on: today() }));
    if (out) setTickets({ ...tickets, [u]: out.ticket_ids ?? [] });
    keys.reload();
  };
  const rows = keys.data?.units ?? [];
  return (
    <Section title={t('handover.keys')}>
      <ErrorBox error={keys.error || error} />
      <Loading when={keys.loading && !keys.data} />
      {keys.data && rows.length === 0 && <Empty />}
      <ul class="list" data-testid="uncollected-keys">
        {rows.map((k) => (
          <li class="card inner">
            <div class="row">
              <strong>{k.building}{k.room}</strong>
              <span>{t('handover.overdue', { days: k.days_overdue ?? 0 })} · {t('handover.reminders', { n: k.reminders ?? 0 })}</span>
            </div>
            <div class="row">
              <button disabled={busy} onClick={() => remind(k.unit_id)}>{t('handover.remind')}</button>
              <button disabled={busy} onClick={() => handOver(k.unit_id)}>{t('handover.hand_over')}</button>
              <button class="secondary" onClick={() => onPick(k.unit_id)}>{t('handover.inspections')}</button>
            </div>
          </li>
        ))}
      </ul>
      {Object.entries(tickets).map(([u, ids]) => (
        <p class="notice">{t('handover.handed_over', { unit: u, n: ids.length })}</p>
      ))}
    </Section>
  );
}

function DefectForm({ inspection, onDone }: { inspection: string; onDone: () => void }) {
  const [d, setD] = useState({ component: 'decoration', location: '', description: '', severity: 'minor' });
  const [file, setFile] = useState<File | null>(null);
  const { busy, error, run } = useAction();
  const submit = async () => {
    const out = await run(async () => {
      const ids: string[] = [];
      if (file) {
        const p = await preparePhoto(file);
        const a = await api<{ attachment_id: string }>('POST', `/v1/inspections/${enc(inspection)}/attachments`,
          { kind: 'photo_before', filename: p.filename, content_type: p.content_type, content: p.content }, { idempotencyKey: newKey() });
        ids.push(a.attachment_id);
      }
      return api('POST', `/v1/inspections/${enc(inspection)}/defects`, { ...d, attachment_ids: ids }, { idempotencyKey: newKey() });
    });
    if (out) {
      setD({ ...d, location: '', description: '' });
      setFile(null);
      onDone();
    }
  };
  return (
    <div class="form" data-testid="defect-form">
      <ErrorBox error={error} />
      <Field label={t('field.component')}>
        <select value={d.component} onChange={(e) => setD({ ...d, component: (e.target as HTMLSelectElement).value })}>
          {COMPONENTS.map((c) => <option value={c}>{label('component', c)}</option>)}
        </select>
      </Field>
      <Field label={t('handover.location')}>
        <input value={d.location} onInput={(e) => setD({ ...d, location: (e.target as HTMLInputElement).value })} />
      </Field>
      <Field label={t('handover.description')}>
        <textarea value={d.description} onInput={(e) => setD({ ...d, description: (e.target as HTMLTextAreaElement).value })} />
      </Field>
      <Field label={t('handover.severity')}>
        <select value={d.severity} onChange={(e) => setD({ ...d, severity: (e.target as HTMLSelectElement).value })}>
          <option value="minor">{label('severity', 'minor')}</option>
          <option value="major">{label('severity', 'major')}</option>
        </select>
      </Field>
      <Field label={t('handover.photo')}>
        <input type="file" accept="image/*" capture="environment" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
      </Field>
      <button disabled={busy} onClick={submit}>{t('handover.add_defect')}</button>
    </div>
  );
}

function Inspections({ unit }: { unit: string }) {
  const list = useAsync(() => api<{ inspections?: Inspection[] }>('GET', `/v1/units/${enc(unit)}/inspections`), [unit]);
  const { busy, error, run } = useAction();
  const act = (fn: () => Promise<unknown>) => run(fn).then(() => list.reload());
  const start = (stage: string) => act(() => api('POST', `/v1/units/${enc(unit)}/inspections`, { stage }, { idempotencyKey: newKey() }));
  return (
    <Section title={t('handover.checklist', { unit })}
      actions={<>
        <button disabled={busy} onClick={() => start('pre_handover')}>{label('stage', 'pre_handover')}</button>
        <button disabled={busy} onClick={() => start('joint')}>{label('stage', 'joint')}</button>
      </>}>
      <ErrorBox error={list.error || error} />
      <Loading when={list.loading && !list.data} />
      {(list.data?.inspections ?? []).map((i) => (
        <div class="card inner" data-testid="inspection">
          <div class="row">
            <strong>{label('stage', i.stage)}</strong>
            <Badge group="inspection" value={i.status} />
            {i.status === 'open' && (
              <button disabled={busy} onClick={() => act(() => api('POST', `/v1/inspections/${enc(i.inspection_id)}/sign`, { signer: 'inspector' }))}>
                {t('handover.sign')}
              </button>
            )}
          </div>
          <ul class="list">
            {(i.defects ?? []).map((d) => (
              <li data-testid="defect">
                {label('component', d.component)} · {d.location} · {d.description} · {label('severity', d.severity)}{' '}
                <Badge group="defect" value={d.status} />
                {d.rectify_due && ` · ${t('handover.due')} ${formatDate(d.rectify_due)}`}
                {d.ticket_id && ` · ${t('handover.ticket')}`}
                {d.status !== 'fixed' && !d.ticket_id && (
                  <button disabled={busy} onClick={() => act(() => api('POST',
                    `/v1/inspections/${enc(i.inspection_id)}/defects/${enc(d.defect_id)}/reinspect`, { passed: true }))}>
                    {t('handover.passed')}
                  </button>
                )}
              </li>
            ))}
          </ul>
          {i.status === 'open' && <DefectForm inspection={i.inspection_id} onDone={() => list.reload()} />}
        </div>
      ))}
    </Section>
  );
}

function Permits({ project }: { project: string }) {
  const list = useAsync(() => api<{ permits?: Permit[] }>('GET', `/v1/projects/${enc(project)}/decoration-permits`), [project]);
  const [deposit, setDeposit] = useState('2000.00');
  const { busy, error, run } = useAction();
  const act = (id: string, action: string, body: object) =>
    run(() => api('POST', `/v1/decoration-permits/${enc(id)}/${action}`, body)).then(() => list.reload());
  const rows = list.data?.permits ?? [];
  return (
    <Section title={t('handover.permits')}>
      <ErrorBox error={list.error || error} />
      <Loading when={list.loading && !list.data} />
      {list.data && rows.length === 0 && <Empty />}
      <Field label={t('handover.deposit')}>
        <input value={deposit} onInput={(e) => setDeposit((e.target as HTMLInputElement).value)} />
      </Field>
      <ul class="list" data-testid="permits">
        {rows.map((p) => (
          <li class="card inner">
            <div class="row">
              <strong>{p.unit_id}</strong> {p.contractor_name} <Badge group="permit" value={p.status} />
              <span>{formatFen(p.deposit_fen ?? 0)} − {formatFen(p.deductions_fen ?? 0)} → {formatFen(p.deposit_refunded_fen ?? 0)}</span>
            </div>
            <div class="row">
              {p.status === 'applied' && (
                <>
                  <button disabled={busy} onClick={() => act(p.permit_id, 'approve', { deposit_fen: parseYuan(deposit) ?? 0, fee_fen: 0 })}>{t('handover.approve')}</button>
                  <button disabled={busy} onClick={() => act(p.permit_id, 'refuse', { reason: t('handover.refuse_reason') })}>{t('handover.refuse')}</button>
                </>
              )}
              {(p.status === 'approved' || p.status === 'in_progress') && (
                <>
                  <button disabled={busy} onClick={() => act(p.permit_id, 'inspect', { passed: true, note: '' })}>{t('handover.inspect')}</button>
                  <button disabled={busy} onClick={() => act(p.permit_id, 'finish', {})}>{t('handover.finish')}</button>
                </>
              )}
            </div>
          </li>
        ))}
      </ul>
    </Section>
  );
}

export function HandoverDesk({ who }: { who: Claims }) {
  const project = currentProject() || who.projects?.[0] || '';
  const [unit, setUnit] = useState('');
  if (!project) return <p class="notice">{t('common.no_project')}</p>;
  return (
    <div class="tablet" data-testid="handover-desk">
      <KeysList project={project} onPick={setUnit} />
      <Section title={t('handover.unit')}>
        <input value={unit} placeholder="unit_id" onInput={(e) => setUnit((e.target as HTMLInputElement).value.trim())} />
      </Section>
      {unit && <Inspections unit={unit} />}
      <Permits project={project} />
    </div>
  );
}
