// Dispatchers: the work-order board by status and party (assign a technician, reassign or reroute
// to another party) and the technicians' appointment calendar with conflicts.
import { useState } from 'preact/hooks';
import { api, enc, listAll } from '../api';
import { WO_COLUMNS, WO_OTHER, type WorkOrder } from '../domain';
import { dateOf, findConflicts, formatDateTime, formatTime, type Slot } from '../format';
import { label, lang, t } from '../i18n';
import { currentProject, type Claims } from '../session';
import { countdown } from '../sla';
import { Badge, Empty, ErrorBox, Field, Link, Loading, Notice, Section, useAction, useAsync, useDraft, useNow } from '../ui';

interface Party {
  party_id: string;
  kind: string;
  name: string;
  active?: boolean;
}
interface Technician {
  technician_id: string;
  name?: string;
  party_id?: string;
}

function useParties(project: string) {
  return useAsync(() => api<{ parties: Party[] }>('GET', `/v1/projects/${enc(project)}/parties`).then((r) => r.parties ?? []), [project]);
}
function useTechnicians(project: string) {
  return useAsync(
    () => api<any>('GET', `/v1/projects/${enc(project)}/technicians`).then((r) => (r?.technicians ?? []) as Technician[]),
    [project],
  );
}

function AssignForm({ wo, technicians, techError, onDone }: { wo: WorkOrder; technicians: Technician[]; techError: unknown; onDone: (w: WorkOrder) => void }) {
  const [form, update, clear] = useDraft(`assign-${wo.work_order_id}`, { technician_id: '', reason: '' });
  const { busy, error, run } = useAction();
  return (
    <form
      class="form mini"
      data-testid="assign-form"
      onSubmit={async (e) => {
        e.preventDefault();
        const out = await run(() =>
          api<WorkOrder>('POST', `/v1/work-orders/${enc(wo.work_order_id)}/assign`, { technician_id: form.technician_id, reason: form.reason.trim() }),
        );
        if (out) {
          clear();
          onDone(out);
        }
      }}
    >
      <ErrorBox error={techError} />
      <Field label={t('wo.technician')}>
        <select name="technician_id" value={form.technician_id} onChange={(e) => update({ technician_id: e.currentTarget.value })}>
          <option value="">{t('dispatch.automatic')}</option>
          {technicians.map((tc) => (
            <option value={tc.technician_id}>
              {tc.name ?? tc.technician_id} {tc.party_id ? `(${tc.party_id})` : ''}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('field.reason')}>
        <input name="reason" value={form.reason} onInput={(e) => update({ reason: e.currentTarget.value })} />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t('dispatch.assign')}
      </button>
    </form>
  );
}

function ReassignForm({ wo, parties, onDone }: { wo: WorkOrder; parties: Party[]; onDone: (w: WorkOrder) => void }) {
  const [form, update, clear] = useDraft(`reassign-${wo.work_order_id}`, { assignee_kind: 'crew', party_id: '', reason: '' });
  const { busy, error, run } = useAction();
  const choices = parties.filter((p) => p.kind === form.assignee_kind);
  return (
    <form
      class="form mini"
      onSubmit={async (e) => {
        e.preventDefault();
        const out = await run(() =>
          api<WorkOrder>('POST', `/v1/work-orders/${enc(wo.work_order_id)}/reassign`, {
            assignee_kind: form.assignee_kind,
            party_id: form.party_id || choices[0]?.party_id || '',
            reason: form.reason.trim(),
          }),
        );
        if (out) {
          clear();
          onDone(out);
        }
      }}
    >
      <p class="hint">{t('dispatch.reassign_hint')}</p>
      <Field label={t('dispatch.assignee_kind')}>
        <select value={form.assignee_kind} onChange={(e) => update({ assignee_kind: e.currentTarget.value, party_id: '' })}>
          {['builder', 'crew', 'contractor'].map((k) => (
            <option value={k}>{label('party', k)}</option>
          ))}
        </select>
      </Field>
      <Field label={t('dispatch.party')}>
        <select value={form.party_id} onChange={(e) => update({ party_id: e.currentTarget.value })}>
          {choices.map((p) => (
            <option value={p.party_id}>{p.name}</option>
          ))}
        </select>
      </Field>
      <Field label={t('field.reason')}>
        <input value={form.reason} onInput={(e) => update({ reason: e.currentTarget.value })} />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t('dispatch.reassign')}
      </button>
    </form>
  );
}

export function DispatchBoard({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const now = useNow(30000);
  const orders = useAsync(() => listAll<WorkOrder>('/v1/work-orders', 'work_orders', { project_id: project }, 1000), [project]);
  const parties = useParties(project);
  const technicians = useTechnicians(project);
  const [party, setParty] = useState('');
  const [open, setOpen] = useState<{ id: string; what: 'assign' | 'reassign' } | null>(null);
  const [note, setNote] = useState('');
  const partyName = (id?: string) => parties.data?.find((p) => p.party_id === id)?.name ?? id ?? '—';
  const visible = (orders.data ?? []).filter((w) => !party || w.party_id === party);
  const columns = [...WO_COLUMNS, 'other'];
  const done = (w: WorkOrder, msg: string) => {
    setOpen(null);
    setNote(msg);
    orders.setData((orders.data ?? []).map((o) => (o.work_order_id === w.work_order_id ? w : o)));
    orders.reload();
  };
  return (
    <Section
      title={t('nav.board')}
      actions={
        <>
          <select aria-label={t('dispatch.party')} value={party} onChange={(e) => setParty(e.currentTarget.value)}>
            <option value="">{t('dispatch.all_parties')}</option>
            {parties.data?.map((p) => (
              <option value={p.party_id}>
                {label('party', p.kind)} · {p.name}
              </option>
            ))}
          </select>
          <button onClick={orders.reload} data-testid="board-refresh">
            {t('common.refresh')}
          </button>
        </>
      }
    >
      <ErrorBox error={orders.error} />
      <ErrorBox error={parties.error} />
      <Loading when={orders.loading && !orders.data} />
      {note && <Notice>{note}</Notice>}
      <div class="board" data-testid="board">
        {columns.map((col) => {
          const items = visible.filter((w) => (col === 'other' ? WO_OTHER.includes(w.status) : w.status === col));
          return (
            <div class="column">
              <h3>
                {col === 'other' ? t('dispatch.other') : label('wo', col)} <span class="count">{items.length}</span>
              </h3>
              {items.map((w) => {
                const c = countdown(w.deadline, now, lang());
                return (
                  <div class={`wo-card sla-border-${c.state}`} data-testid="wo-card" data-ticket={w.ticket_no}>
                    <div class="row">
                      <Link to={`/tickets/${w.ticket_id}`}>{w.ticket_no ?? w.ticket_id.slice(0, 8)}</Link>
                      {w.urgency === 'emergency' && <span class="badge urgent">{label('urgency', 'emergency')}</span>}
                    </div>
                    <div class="meta">
                      {label('component', w.component)} · {w.unit_id}
                    </div>
                    <div class="meta">
                      {label('party', w.assignee_kind)}: {partyName(w.party_id)}
                    </div>
                    {w.technician_id && (
                      <div class="meta" data-testid="wo-technician">
                        {t('wo.technician')}: {w.technician_id}
                      </div>
                    )}
                    {w.appointment?.start && (
                      <div class="meta">
                        {formatDateTime(w.appointment.start)}–{formatTime(w.appointment.end)}
                      </div>
                    )}
                    {w.deadline && !['signed_off', 'cancelled', 'rerouted'].includes(w.status) && (
                      <div class={`sla sla-${c.state}`}>{c.text}</div>
                    )}
                    {!['signed_off', 'cancelled', 'rerouted', 'declined'].includes(w.status) && (
                      <div class="button-row">
                        <button data-testid="open-assign" onClick={() => setOpen({ id: w.work_order_id, what: 'assign' })}>
                          {t('dispatch.assign')}
                        </button>
                        <button onClick={() => setOpen({ id: w.work_order_id, what: 'reassign' })}>{t('dispatch.reassign')}</button>
                      </div>
                    )}
                    {open?.id === w.work_order_id && open.what === 'assign' && (
                      <AssignForm
                        wo={w}
                        technicians={technicians.data ?? []}
                        techError={technicians.error}
                        onDone={(n) => done(n, t('dispatch.assigned', { no: w.ticket_no ?? '', who: n.technician_id || t('dispatch.automatic') }))}
                      />
                    )}
                    {open?.id === w.work_order_id && open.what === 'reassign' && (
                      <ReassignForm wo={w} parties={parties.data ?? []} onDone={(n) => done(n, t('dispatch.reassigned', { no: w.ticket_no ?? '' }))} />
                    )}
                  </div>
                );
              })}
            </div>
          );
        })}
      </div>
    </Section>
  );
}

// A schedule entry from GET /v1/technicians/{id}/schedule, whatever its exact shape: a work order
// with an appointment, or {work_order_id, start, end}.
function slotsOf(who: string, body: any): Slot[] {
  const list: any[] = Array.isArray(body) ? body : (Object.values(body ?? {}).find((v) => Array.isArray(v)) as any[]) ?? [];
  return list
    .map((e) => {
      const w = e.appointment ?? e.window ?? e;
      return { id: e.work_order_id ?? e.appointment_id ?? `${who}-${w.start}`, who, start: w.start, end: w.end };
    })
    .filter((s) => s.start && s.end);
}

export function DispatchCalendar({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const [from, setFrom] = useState(dateOf(Date.now()));
  const days = Array.from({ length: 7 }, (_, i) => dateOf(Date.parse(`${from}T12:00:00+08:00`) + i * 86400000));
  const technicians = useTechnicians(project);
  const orders = useAsync(() => listAll<WorkOrder>('/v1/work-orders', 'work_orders', { project_id: project }, 1000), [project]);
  const schedules = useAsync(async () => {
    const techs = technicians.data ?? [];
    const toDate = days[6];
    const out: Slot[] = [];
    for (const tc of techs) {
      const body = await api<any>('GET', `/v1/technicians/${enc(tc.technician_id)}/schedule`, undefined, {
        query: { from: `${from}T00:00:00+08:00`, to: `${toDate}T23:59:59+08:00` },
      });
      out.push(...slotsOf(tc.technician_id, body));
    }
    return out;
  }, [technicians.data, from]);
  // Appointments known from the work orders (by technician, else by party), plus the schedules.
  const slots: Slot[] = [];
  const seen = new Set<string>();
  for (const s of schedules.data ?? []) {
    slots.push(s);
    seen.add(s.id);
  }
  for (const w of orders.data ?? [])
    if (w.appointment?.start && w.appointment?.end && !seen.has(w.work_order_id) && !['cancelled', 'rerouted'].includes(w.status))
      slots.push({ id: w.work_order_id, who: w.technician_id || w.party_id || '—', start: w.appointment.start, end: w.appointment.end });
  const conflicts = findConflicts(slots);
  const rows = Array.from(new Set([...(technicians.data ?? []).map((tc) => tc.technician_id), ...slots.map((s) => s.who)]));
  const ticketOf = (id: string) => orders.data?.find((w) => w.work_order_id === id);
  return (
    <Section
      title={t('nav.calendar')}
      actions={
        <label class="inline">
          {t('calendar.from')} <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value || from)} />
        </label>
      }
    >
      <ErrorBox error={technicians.error} />
      <ErrorBox error={schedules.error} />
      <ErrorBox error={orders.error} />
      {conflicts.size > 0 && <div class="error">{t('calendar.conflicts', { n: conflicts.size })}</div>}
      {rows.length === 0 && <Empty text={t('calendar.empty')} />}
      {rows.length > 0 && (
        <div class="calendar-wrap">
          <table class="calendar" data-testid="calendar">
            <thead>
              <tr>
                <th>{t('wo.technician')}</th>
                {days.map((d) => (
                  <th>{d.slice(5)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <th>{technicians.data?.find((tc) => tc.technician_id === r)?.name ?? r}</th>
                  {days.map((d) => (
                    <td>
                      {slots
                        .filter((s) => s.who === r && dateOf(Date.parse(s.start)) === d)
                        .sort((a, b) => a.start.localeCompare(b.start))
                        .map((s) => {
                          const w = ticketOf(s.id);
                          return (
                            <div class={`slot ${conflicts.has(s.id) ? 'conflict' : ''}`}>
                              {formatTime(s.start)}–{formatTime(s.end)}
                              {w && (
                                <div>
                                  <Link to={`/tickets/${w.ticket_id}`}>{w.ticket_no}</Link> <Badge group="wo" value={w.status} />
                                </div>
                              )}
                            </div>
                          );
                        })}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
