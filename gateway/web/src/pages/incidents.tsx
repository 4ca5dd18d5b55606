// Issue 23: incidents — an outage or a failure of a shared facility that touches a building, some
// buildings or the whole project. Staff list them (status filter), agents, dispatchers, supervisors
// and admins open one, its page shows the linked tickets (each reporter kept) and the one work
// order, and dispatchers, supervisors and admins resolve it (every linked ticket with it).
import { useState } from 'preact/hooks';
import { api, enc, listAll, newKey } from '../api';
import { categoryOf, CATEGORIES, COMPONENTS, type Ticket, type Unit, type WorkOrder } from '../domain';
import { formatDateTime } from '../format';
import { label, t } from '../i18n';
import { currentProject, type Claims } from '../session';
import { Badge, Empty, ErrorBox, Field, Link, Loading, Notice, Section, useAction, useAsync, useDraft } from '../ui';

export const OPEN_INCIDENT_ROLES = ['agent', 'dispatcher', 'supervisor', 'admin'];
export const RESOLVE_INCIDENT_ROLES = ['dispatcher', 'supervisor', 'admin'];
const STAFF = ['agent', 'verifier', 'dispatcher', 'supervisor', 'finance', 'admin'];

export interface Incident {
  incident_id: string;
  project_id: string;
  kind: string;
  category?: string;
  component?: string;
  buildings?: string[];
  status: string;
  title: string;
  description?: string;
  ticket_ids?: string[];
  lead_ticket_id?: string;
  work_order_id?: string;
  reporters?: number;
  proposed?: boolean;
  opened_by?: string;
  starts_at?: string;
  expected_end?: string;
  created_at?: string;
  resolved_at?: string;
  resolved_by?: string;
  resolution_note?: string;
}

export function scopeText(buildings: string[] | undefined): string {
  return (buildings ?? []).length ? (buildings ?? []).join('、') : t('incident.whole_project');
}

// The project's buildings (from its units), for choosing a scope; none chosen = the whole project.
export function useBuildings(project: string) {
  return useAsync(
    () =>
      project
        ? listAll<Unit>(`/v1/projects/${enc(project)}/units`, 'units', {}, 5000).then((us) =>
            [...new Set(us.map((u) => u.building ?? '').filter(Boolean))].sort((a, b) => a.localeCompare(b, 'zh-CN', { numeric: true })),
          )
        : Promise.resolve([] as string[]),
    [project],
  );
}

export function BuildingChips({ all, chosen, onChange }: { all: string[]; chosen: string[]; onChange: (b: string[]) => void }) {
  return (
    <fieldset class="chips" data-testid="building-chips">
      <legend>
        {t('incident.buildings')} <span class="hint">{t('incident.buildings_hint')}</span>
      </legend>
      {all.map((b) => {
        const on = chosen.includes(b);
        return (
          <label class={`chip ${on ? 'on' : ''}`}>
            <input type="checkbox" name="building" value={b} checked={on} onChange={() => onChange(on ? chosen.filter((x) => x !== b) : [...chosen, b].sort())} />
            {b}
          </label>
        );
      })}
      {all.length === 0 && <span class="hint">{t('incident.no_buildings')}</span>}
    </fieldset>
  );
}

function timeWindow(i: Incident): string {
  if (!i.starts_at && !i.expected_end) return '';
  return `${formatDateTime(i.starts_at)} – ${formatDateTime(i.expected_end)}`;
}

function OpenIncidentForm({ project, onOpened }: { project: string; onOpened: (i: Incident) => void }) {
  const buildings = useBuildings(project);
  const [form, update, clear] = useDraft(`incident-${project}`, () => ({
    kind: 'failure',
    component: 'elevator',
    category: 'public_facility',
    buildings: [] as string[],
    title: '',
    description: '',
    starts_at: '',
    expected_end: '',
    key: newKey(),
  }));
  const { busy, error, run } = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      kind: form.kind,
      category: form.category,
      component: form.component,
      buildings: form.buildings,
      title: form.title.trim(),
      description: form.description.trim(),
    };
    if (form.starts_at) body.starts_at = new Date(form.starts_at).toISOString();
    if (form.expected_end) body.expected_end = new Date(form.expected_end).toISOString();
    const out = await run(() => api<Incident>('POST', `/v1/projects/${enc(project)}/incidents`, body, { idempotencyKey: form.key }));
    if (out) {
      clear();
      onOpened(out);
    }
  };
  return (
    <Section title={t('incident.open')}>
      <form class="form" data-testid="incident-form" onSubmit={submit}>
        <div class="grid3">
          <Field label={t('incident.kind')}>
            <select name="kind" value={form.kind} onChange={(e) => update({ kind: e.currentTarget.value })}>
              {['failure', 'outage'].map((k) => (
                <option value={k}>{label('incident_kind', k)}</option>
              ))}
            </select>
          </Field>
          <Field label={t('field.component')}>
            <select
              name="component"
              value={form.component}
              onChange={(e) => update({ component: e.currentTarget.value, category: categoryOf(e.currentTarget.value) })}
            >
              {COMPONENTS.map((c) => (
                <option value={c}>{label('component', c)}</option>
              ))}
            </select>
          </Field>
          <Field label={t('field.category')}>
            <select name="category" value={form.category} onChange={(e) => update({ category: e.currentTarget.value })}>
              {CATEGORIES.map((c) => (
                <option value={c}>{label('category', c)}</option>
              ))}
            </select>
          </Field>
        </div>
        <ErrorBox error={buildings.error} />
        <BuildingChips all={buildings.data ?? []} chosen={form.buildings} onChange={(b) => update({ buildings: b })} />
        <Field label={t('incident.title')}>
          <input name="title" required maxLength={200} placeholder={t('incident.title_hint')} value={form.title} onInput={(e) => update({ title: e.currentTarget.value })} />
        </Field>
        <Field label={t('field.description')}>
          <textarea name="description" rows={2} value={form.description} onInput={(e) => update({ description: e.currentTarget.value })} />
        </Field>
        <div class="grid2">
          <Field label={t('incident.starts_at')} hint={t('incident.window_hint')}>
            <input name="starts_at" type="datetime-local" value={form.starts_at} onInput={(e) => update({ starts_at: e.currentTarget.value })} />
          </Field>
          <Field label={t('incident.expected_end')}>
            <input name="expected_end" type="datetime-local" value={form.expected_end} onInput={(e) => update({ expected_end: e.currentTarget.value })} />
          </Field>
        </div>
        <div>
          <button class="primary" disabled={busy}>
            {t('incident.open')}
          </button>
        </div>
        <ErrorBox error={error} />
      </form>
    </Section>
  );
}

function IncidentRow({ i }: { i: Incident }) {
  return (
    <li class={`card inner incident-${i.status}`} data-testid="incident" data-id={i.incident_id} data-status={i.status}>
      <div class="row">
        <Link to={`/incidents/${i.incident_id}`}>
          <strong>{i.title}</strong>
        </Link>
        <span>
          {i.proposed && <span class="badge proposed">{t('incident.proposed')}</span>}
          <Badge group="incident_kind" value={i.kind} />
          <Badge group="incident" value={i.status} />
        </span>
      </div>
      <div class="meta">
        {scopeText(i.buildings)} · {label('component', i.component)} · {t('incident.tickets_n', { n: (i.ticket_ids ?? []).length })} ·{' '}
        {i.work_order_id ? t('incident.has_work_order') : t('incident.no_work_order')} · {formatDateTime(i.created_at)}
        {timeWindow(i) ? ` · ${timeWindow(i)}` : ''}
      </div>
    </li>
  );
}

export function Incidents({ who }: { who: Claims }) {
  const project = currentProject();
  const [status, setStatus] = useState('open');
  const list = useAsync(
    () => (project ? listAll<Incident>(`/v1/projects/${enc(project)}/incidents`, 'incidents', { status: status || undefined }, 500) : Promise.resolve([])),
    [project, status],
  );
  const [opened, setOpened] = useState<Incident | null>(null);
  if (!project) return <div class="error">{t('common.no_project')}</div>;
  return (
    <>
      {OPEN_INCIDENT_ROLES.includes(who.role) && (
        <OpenIncidentForm
          project={project}
          onOpened={(i) => {
            setOpened(i);
            if (status !== 'resolved') list.reload();
          }}
        />
      )}
      {opened && (
        <Notice>
          {t('incident.opened', { title: opened.title })} <Link to={`/incidents/${opened.incident_id}`}>{t('common.view')}</Link>
        </Notice>
      )}
      <Section
        title={t('nav.incidents')}
        actions={
          <>
            <div class="chips" role="group" aria-label={t('field.status')}>
              {[
                ['open', t('incident.filter_open')],
                ['resolved', t('incident.filter_resolved')],
                ['', t('incident.filter_all')],
              ].map(([v, text]) => (
                <button type="button" class={status === v ? 'on' : ''} data-testid={`incident-filter-${v || 'all'}`} onClick={() => setStatus(v)}>
                  {text}
                </button>
              ))}
            </div>
            <button type="button" data-testid="incidents-refresh" onClick={list.reload}>
              {t('common.refresh')}
            </button>
          </>
        }
      >
        <ErrorBox error={list.error} />
        <Loading when={list.loading && !list.data} />
        {list.data && list.data.length === 0 && <Empty text={t('incident.none')} />}
        <ul class="message-list" data-testid="incidents">
          {(list.data ?? []).map((i) => (
            <IncidentRow i={i} />
          ))}
        </ul>
      </Section>
    </>
  );
}

// `rev` moves on every refresh of the page: the tickets' and work order's states change while the
// incident's list of ids does not.
function LinkedTickets({ incident, rev }: { incident: Incident; rev: number }) {
  const ids = incident.ticket_ids ?? [];
  const tickets = useAsync(
    () => Promise.all(ids.slice(0, 100).map((id) => api<Ticket>('GET', `/v1/tickets/${enc(id)}`).catch(() => ({ ticket_id: id }) as Ticket))),
    [ids.join(','), incident.status, rev],
  );
  const order = useAsync(
    () => (incident.work_order_id ? api<WorkOrder>('GET', `/v1/work-orders/${enc(incident.work_order_id)}`).catch(() => null) : Promise.resolve(null)),
    [incident.work_order_id ?? '', incident.status, rev],
  );
  return (
    <>
      <Section title={t('incident.linked_tickets', { n: ids.length })}>
        <ErrorBox error={tickets.error} />
        {ids.length === 0 && <Empty text={t('incident.no_tickets')} />}
        {ids.length > 0 && (
          <table class="table" data-testid="incident-tickets">
            <tbody>
              {(tickets.data ?? ids.map((id) => ({ ticket_id: id }) as Ticket)).map((tk) => (
                <tr data-testid="incident-ticket" data-ticket={tk.ticket_no ?? tk.ticket_id}>
                  <td>
                    <Link to={`/tickets/${tk.ticket_id}`}>{tk.ticket_no || tk.ticket_id.slice(0, 8)}</Link>
                    {tk.ticket_id === incident.lead_ticket_id && <span class="badge lead">{t('incident.lead')}</span>}
                  </td>
                  <td>{tk.unit_id ?? ''}</td>
                  <td>{tk.reported_at ? formatDateTime(tk.reported_at) : ''}</td>
                  <td class="desc">{tk.description ?? ''}</td>
                  <td>{tk.status && <Badge group="status" value={tk.status} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('incident.work_order')}>
        {!incident.work_order_id && <Empty text={incident.kind === 'outage' ? t('incident.outage_no_order') : t('incident.no_work_order_yet')} />}
        {incident.work_order_id && (
          <div class="card inner" data-testid="incident-work-order">
            <div class="row">
              <strong>{order.data?.ticket_no ?? incident.work_order_id.slice(0, 8)}</strong>
              {order.data && <Badge group="wo" value={order.data.status} />}
            </div>
            <div class="meta">
              {order.data?.party_id ? `${label('party', order.data.assignee_kind)} ${order.data.party_id}` : ''}
              {order.data?.technician_id ? ` · ${t('wo.technician')} ${order.data.technician_id}` : ''}
              {order.data?.deadline ? ` · ${t('wo.deadline')} ${formatDateTime(order.data.deadline)}` : ''}
              {incident.lead_ticket_id && (
                <>
                  {' · '}
                  <Link to={`/tickets/${incident.lead_ticket_id}`}>{t('common.view_ticket')}</Link>
                </>
              )}
            </div>
          </div>
        )}
      </Section>
    </>
  );
}

function ResolveForm({ incident, onDone }: { incident: Incident; onDone: (i: Incident) => void }) {
  const [form, update, clear] = useDraft(`resolve-incident-${incident.incident_id}`, { note: '' });
  const { busy, error, run } = useAction();
  return (
    <Section title={t('incident.resolve')}>
      <form
        class="form"
        data-testid="resolve-incident-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const out = await run(() => api<Incident>('POST', `/v1/incidents/${enc(incident.incident_id)}/resolve`, { note: form.note.trim() }));
          if (out) {
            clear();
            onDone(out);
          }
        }}
      >
        <p class="hint">{t('incident.resolve_hint', { n: (incident.ticket_ids ?? []).length })}</p>
        <Field label={t('incident.resolution_note')}>
          <textarea name="note" rows={2} maxLength={2000} value={form.note} onInput={(e) => update({ note: e.currentTarget.value })} />
        </Field>
        <div>
          <button class="primary" disabled={busy}>
            {t('incident.resolve')}
          </button>
        </div>
        <ErrorBox error={error} />
      </form>
    </Section>
  );
}

export function IncidentPage({ id, who }: { id: string; who: Claims }) {
  const inc = useAsync(() => api<Incident>('GET', `/v1/incidents/${enc(id)}`), [id]);
  const [resolved, setResolved] = useState(false);
  const [rev, setRev] = useState(0);
  const i = inc.data;
  const staff = STAFF.includes(who.role);
  return (
    <div data-testid="incident-page">
      <Section
        title={i ? i.title : t('nav.incidents')}
        actions={
          <>
            {staff && <Link to="/agent/incidents">{t('incident.back')}</Link>}
            <button
              type="button"
              data-testid="incident-refresh"
              onClick={() => {
                inc.reload();
                setRev((r) => r + 1);
              }}
            >
              {t('common.refresh')}
            </button>
          </>
        }
      >
        <ErrorBox error={inc.error} />
        <Loading when={inc.loading && !i} />
        {resolved && <Notice>{t('incident.resolved_notice', { n: (i?.ticket_ids ?? []).length })}</Notice>}
        {i && (
          <dl class="facts" data-testid="incident-facts" data-status={i.status}>
            <dt>{t('field.status')}</dt>
            <dd>
              <Badge group="incident" value={i.status} />
              {i.proposed && <span class="badge proposed">{t('incident.proposed')}</span>}
            </dd>
            <dt>{t('incident.kind')}</dt>
            <dd>{label('incident_kind', i.kind)}</dd>
            <dt>{t('field.component')}</dt>
            <dd>
              {label('component', i.component)} ({label('category', i.category)})
            </dd>
            <dt>{t('incident.buildings')}</dt>
            <dd>{scopeText(i.buildings)}</dd>
            {i.description && (
              <>
                <dt>{t('field.description')}</dt>
                <dd class="desc">{i.description}</dd>
              </>
            )}
            {timeWindow(i) && (
              <>
                <dt>{t('incident.window')}</dt>
                <dd>{timeWindow(i)}</dd>
              </>
            )}
            <dt>{t('incident.reporters')}</dt>
            <dd>{i.reporters ?? (i.ticket_ids ?? []).length}</dd>
            <dt>{t('incident.opened_at')}</dt>
            <dd>
              {formatDateTime(i.created_at)}
              {i.opened_by ? ` · ${i.opened_by}` : ''}
            </dd>
            {i.status === 'resolved' && (
              <>
                <dt>{t('incident.resolved_at')}</dt>
                <dd>
                  {formatDateTime(i.resolved_at)}
                  {i.resolved_by ? ` · ${i.resolved_by}` : ''}
                  {i.resolution_note ? ` · ${i.resolution_note}` : ''}
                </dd>
              </>
            )}
          </dl>
        )}
      </Section>
      {i && <LinkedTickets incident={i} rev={rev} />}
      {i && i.status === 'open' && RESOLVE_INCIDENT_ROLES.includes(who.role) && (
        <ResolveForm
          incident={i}
          onDone={(out) => {
            inc.setData(out);
            setResolved(true);
          }}
        />
      )}
    </div>
  );
}

// For the owner's notices page: the open incidents of the buildings the owner lives in (the
// service answers an owner with those only).
export function OwnerIncidents({ projects }: { projects: string[] }) {
  const list = useAsync(
    () => Promise.all(projects.map((p) => api<{ incidents?: Incident[] }>('GET', `/v1/projects/${enc(p)}/incidents`, undefined, { query: { status: 'open' } }).then((r) => r.incidents ?? []))).then((l) => l.flat()),
    [projects.join(',')],
  );
  return (
    <Section title={t('notices.incidents')}>
      <ErrorBox error={list.error} />
      {list.data && list.data.length === 0 && <Empty text={t('notices.no_incidents')} />}
      <ul class="message-list" data-testid="owner-incidents">
        {(list.data ?? []).map((i) => (
          <li class="card inner" data-testid="owner-incident">
            <div class="row">
              <Link to={`/incidents/${i.incident_id}`}>
                <strong>{i.title}</strong>
              </Link>
              <Badge group="incident_kind" value={i.kind} />
            </div>
            {i.description && <div class="desc">{i.description}</div>}
            <div class="meta">
              {scopeText(i.buildings)}
              {timeWindow(i) ? ` · ${timeWindow(i)}` : ` · ${formatDateTime(i.created_at)}`}
            </div>
          </li>
        ))}
      </ul>
    </Section>
  );
}

