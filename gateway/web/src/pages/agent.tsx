// Agents: phone intake (keyboard first), the ticket queue with SLA countdowns, callbacks.
import { useMemo, useRef, useState } from 'preact/hooks';
import { api, enc, listAll, newKey } from '../api';
import { ACTIVE_TICKET, CATEGORIES, CHANNELS, COMPONENTS, KINDS, categoryOf, unitName, type Ticket, type Unit } from '../domain';
import { dateOf, formatDateTime } from '../format';
import { label, lang, t } from '../i18n';
import { navigate } from '../router';
import { currentProject, type Claims } from '../session';
import { ticketSla } from '../sla';
import { Badge, Empty, ErrorBox, Field, Link, Loading, Notice, Section, SlaPill, useAction, useAsync, useDraft, useNow } from '../ui';

function NeedProject() {
  return <div class="error">{t('common.no_project')}</div>;
}

export function AgentIntake({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const units = useAsync(() => (project ? listAll<Unit>(`/v1/projects/${enc(project)}/units`, 'units', {}, 5000) : Promise.resolve([])), [project]);
  const [form, update, clear] = useDraft(`intake-${project}`, () => ({
    search: '',
    unit_id: '',
    kind: 'repair',
    component: '',
    category: '',
    urgency: 'normal',
    channel: 'hotline',
    description: '',
    reported_at: '',
    key: newKey(),
  }));
  const [done, setDone] = useState<Ticket | null>(null);
  const { busy, error, run } = useAction();
  const searchRef = useRef<HTMLInputElement>(null);
  const matches = useMemo(() => {
    const q = form.search.trim().toLowerCase();
    const all = units.data ?? [];
    if (!q) return all.slice(0, 8);
    return all
      .filter((u) =>
        [u.unit_id, u.building, u.room, u.owner_name, u.owner_phone, `${u.building}${u.room}`, `${u.building}-${u.room}`]
          .filter(Boolean)
          .some((s) => String(s).toLowerCase().includes(q)),
      )
      .slice(0, 8);
  }, [form.search, units.data]);
  const chosen = units.data?.find((u) => u.unit_id === form.unit_id);

  const submit = async (e?: Event) => {
    e?.preventDefault();
    const body: Record<string, unknown> = {
      project_id: project,
      unit_id: form.unit_id,
      kind: form.kind,
      category: form.category || categoryOf(form.component || 'other'),
      component: form.component || 'other',
      urgency: form.urgency,
      channel: form.channel,
      description: form.description.trim(),
    };
    if (form.reported_at) body.reported_at = new Date(form.reported_at).toISOString();
    const out = await run(() => api<Ticket>('POST', '/v1/tickets', body, { idempotencyKey: form.key }));
    if (out) {
      setDone(out);
      clear();
      searchRef.current?.focus();
    }
  };
  if (!project) return <NeedProject />;
  return (
    <Section title={t('nav.intake')}>
      <form
        class="form intake"
        onSubmit={submit}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
        }}
        data-testid="intake-form"
      >
        <p class="hint">{t('intake.keys')}</p>
        <div class="grid2">
          <Field label={t('intake.find_unit')}>
            <input
              ref={searchRef}
              autoFocus
              name="search"
              value={form.search}
              placeholder={t('intake.find_hint')}
              onInput={(e) => update({ search: e.currentTarget.value })}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.ctrlKey && matches[0]) {
                  e.preventDefault();
                  update({ unit_id: matches[0].unit_id, search: unitName(matches[0]) });
                }
              }}
            />
          </Field>
          <Field label={t('field.unit_id')}>
            <select name="unit_id" required value={form.unit_id} onChange={(e) => update({ unit_id: e.currentTarget.value })}>
              <option value="">{t('common.choose')}</option>
              {(chosen && !matches.includes(chosen) ? [chosen, ...matches] : matches).map((u) => (
                <option value={u.unit_id}>
                  {unitName(u)} · {u.owner_name} {u.owner_phone_masked || u.owner_phone}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Loading when={units.loading} />
        <ErrorBox error={units.error} />
        <div class="grid3">
          <Field label={t('field.kind')}>
            <select name="kind" value={form.kind} onChange={(e) => update({ kind: e.currentTarget.value })}>
              {KINDS.map((k) => (
                <option value={k}>{label('kind', k)}</option>
              ))}
            </select>
          </Field>
          <Field label={t('field.component')}>
            <select
              name="component"
              value={form.component}
              onChange={(e) => update({ component: e.currentTarget.value, category: categoryOf(e.currentTarget.value) })}
            >
              <option value="">{t('common.choose')}</option>
              {COMPONENTS.map((k) => (
                <option value={k}>{label('component', k)}</option>
              ))}
            </select>
          </Field>
          <Field label={t('field.category')}>
            <select name="category" value={form.category} onChange={(e) => update({ category: e.currentTarget.value })}>
              <option value="">{t('common.choose')}</option>
              {CATEGORIES.map((k) => (
                <option value={k}>{label('category', k)}</option>
              ))}
            </select>
          </Field>
          <Field label={t('field.urgency')}>
            <select name="urgency" value={form.urgency} onChange={(e) => update({ urgency: e.currentTarget.value })}>
              <option value="normal">{label('urgency', 'normal')}</option>
              <option value="emergency">{label('urgency', 'emergency')}</option>
            </select>
          </Field>
          <Field label={t('field.channel')}>
            <select name="channel" value={form.channel} onChange={(e) => update({ channel: e.currentTarget.value })}>
              {CHANNELS.map((k) => (
                <option value={k}>{label('channel', k)}</option>
              ))}
            </select>
          </Field>
          <Field label={t('intake.reported_at')} hint={t('intake.reported_at_hint')}>
            <input name="reported_at" type="datetime-local" value={form.reported_at} onInput={(e) => update({ reported_at: e.currentTarget.value })} />
          </Field>
        </div>
        <Field label={t('field.description')}>
          <textarea name="description" rows={3} value={form.description} onInput={(e) => update({ description: e.currentTarget.value })} />
        </Field>
        <ErrorBox error={error} />
        {done && (
          <Notice>
            {t('intake.created', { no: done.ticket_no })} <Link to={`/tickets/${done.ticket_id}`}>{t('common.view')}</Link>
          </Notice>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t('intake.submit')} (Ctrl+Enter)
        </button>
      </form>
    </Section>
  );
}

export function AgentQueue({ who }: { who: Claims }) {
  const project = currentProject();
  const now = useNow(15000);
  const [filter, setFilter] = useState<'active' | 'mine' | 'all'>('active');
  const tickets = useAsync(() => (project ? listAll<Ticket>('/v1/tickets', 'tickets', { project_id: project }, 1000) : Promise.resolve([])), [project]);
  const breaches = useAsync(
    () => (project ? api<{ breaches: { ticket: Ticket }[] }>('GET', `/v1/projects/${enc(project)}/breaches`) : Promise.resolve({ breaches: [] })),
    [project],
  );
  const breached = new Set((breaches.data?.breaches ?? []).map((b) => b.ticket?.ticket_id));
  const rows = (tickets.data ?? [])
    .filter((tk) => (filter === 'all' ? true : ACTIVE_TICKET.has(tk.status)) && (filter !== 'mine' || tk.owner_agent === who.sub))
    .map((tk) => ({ tk, sla: ticketSla(tk, now, lang()) }))
    .sort((a, b) => {
      const rank = (x: typeof a) => (x.sla.state === 'done' ? 1 : 0);
      return rank(a) - rank(b) || a.sla.remainingMs - b.sla.remainingMs;
    });
  if (!project) return <NeedProject />;
  return (
    <Section
      title={t('nav.queue')}
      actions={
        <>
          {(['active', 'mine', 'all'] as const).map((f) => (
            <button class={filter === f ? 'on' : ''} onClick={() => setFilter(f)}>
              {t(`queue.${f}`)}
            </button>
          ))}
          <button onClick={() => (tickets.reload(), breaches.reload())}>{t('common.refresh')}</button>
        </>
      }
    >
      <ErrorBox error={tickets.error} />
      <ErrorBox error={breaches.error} />
      <Loading when={tickets.loading && !tickets.data} />
      {tickets.data && rows.length === 0 && <Empty />}
      {rows.length > 0 && (
        <table class="table queue" data-testid="queue">
          <thead>
            <tr>
              <th>{t('ticket.no')}</th>
              <th>{t('field.unit_id')}</th>
              <th>{t('field.kind')}</th>
              <th>{t('field.description')}</th>
              <th>{t('field.status')}</th>
              <th>SLA</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ tk, sla }) => {
              const isBreached = sla.state === 'breached' || breached.has(tk.ticket_id);
              return (
                <tr
                  class={`${isBreached ? 'breached' : ''} ${tk.escalation_level > 0 ? 'escalated' : ''}`}
                  data-testid="queue-row"
                  onClick={() => navigate(`/tickets/${tk.ticket_id}`)}
                >
                  <td>
                    <Link to={`/tickets/${tk.ticket_id}`}>{tk.ticket_no}</Link>
                  </td>
                  <td>{tk.unit_id}</td>
                  <td>
                    {label('kind', tk.kind)} · {label('component', tk.component)}
                    {tk.urgency === 'emergency' && <span class="badge urgent">{label('urgency', 'emergency')}</span>}
                  </td>
                  <td class="desc">{tk.description}</td>
                  <td>
                    <Badge group="status" value={tk.status} />
                    {tk.escalation_level > 0 && <span class="badge escalated">{t('ticket.escalated', { n: tk.escalation_level })}</span>}
                  </td>
                  <td>
                    <SlaPill ticket={tk} now={now} />
                    {isBreached && sla.state !== 'breached' && <span class="badge breached">{t('queue.breached')}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}

interface Callback {
  callback_id: string;
  ticket_id?: string;
  work_order_id?: string;
  unit_id: string;
  reason: string;
  due_at: string;
  status: string;
  attempts?: number;
  overdue?: boolean;
}

function RecordCallback({ cb, onDone }: { cb: Callback; onDone: () => void }) {
  const [form, update, clear] = useDraft(`callback-${cb.callback_id}`, {
    reached: 'yes',
    score: '5',
    attitude: '5',
    timely: true,
    charge_ok: true,
    comment: '',
    note: '',
  });
  const { busy, error, run } = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const out = await run(() =>
      form.reached === 'yes'
        ? api('POST', `/v1/callbacks/${enc(cb.callback_id)}/record`, {
            reached: true,
            score: Number(form.score),
            attitude: Number(form.attitude),
            timely: form.timely,
            charge_ok: form.charge_ok,
            comment: form.comment.trim(),
          })
        : api('POST', `/v1/callbacks/${enc(cb.callback_id)}/attempts`, { note: form.note.trim() }),
    );
    if (out) {
      clear();
      onDone();
    }
  };
  return (
    <form class="form callback-form" onSubmit={submit}>
      <div class="chips">
        <label class={form.reached === 'yes' ? 'chip on' : 'chip'}>
          <input type="radio" checked={form.reached === 'yes'} onChange={() => update({ reached: 'yes' })} />
          {t('callback.reached')}
        </label>
        <label class={form.reached === 'no' ? 'chip on' : 'chip'}>
          <input type="radio" checked={form.reached === 'no'} onChange={() => update({ reached: 'no' })} />
          {t('callback.not_reached')}
        </label>
      </div>
      {form.reached === 'yes' ? (
        <div class="grid3">
          <Field label={t('callback.score')} hint={t('callback.score_hint')}>
            <select value={form.score} onChange={(e) => update({ score: e.currentTarget.value })}>
              {[5, 4, 3, 2, 1].map((n) => (
                <option value={n}>{n}</option>
              ))}
            </select>
          </Field>
          <Field label={t('callback.attitude')}>
            <select value={form.attitude} onChange={(e) => update({ attitude: e.currentTarget.value })}>
              {[5, 4, 3, 2, 1].map((n) => (
                <option value={n}>{n}</option>
              ))}
            </select>
          </Field>
          <label class="check">
            <input type="checkbox" checked={form.timely} onChange={(e) => update({ timely: e.currentTarget.checked })} />
            {t('callback.timely')}
          </label>
          <label class="check">
            <input type="checkbox" checked={form.charge_ok} onChange={(e) => update({ charge_ok: e.currentTarget.checked })} />
            {t('callback.charge_ok')}
          </label>
          <Field label={t('callback.comment')}>
            <input value={form.comment} onInput={(e) => update({ comment: e.currentTarget.value })} />
          </Field>
        </div>
      ) : (
        <Field label={t('callback.note')}>
          <input value={form.note} onInput={(e) => update({ note: e.currentTarget.value })} />
        </Field>
      )}
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t('common.save')}
      </button>
    </form>
  );
}

export function AgentCallbacks({ who: _who }: { who: Claims }) {
  const project = currentProject();
  const today = dateOf(Date.now());
  const list = useAsync(
    () =>
      api<{ callbacks: Callback[]; done_today?: number; done_this_week?: number; overdue?: number; weekly_target?: number }>(
        'GET',
        '/v1/callbacks-worklist',
        undefined,
        { query: { project_id: project, date: today } },
      ),
    [project],
  );
  const [openId, setOpenId] = useState('');
  if (!project) return <NeedProject />;
  const d = list.data;
  return (
    <Section title={t('nav.callbacks')} actions={<button onClick={list.reload}>{t('common.refresh')}</button>}>
      <ErrorBox error={list.error} />
      {d && (
        <div class="tiles">
          <div class="tile">
            <span>{t('callback.todo')}</span>
            <strong>{d.callbacks?.length ?? 0}</strong>
          </div>
          <div class="tile">
            <span>{t('callback.overdue')}</span>
            <strong>{d.overdue ?? 0}</strong>
          </div>
          <div class="tile">
            <span>{t('callback.done_today')}</span>
            <strong>{d.done_today ?? 0}</strong>
          </div>
          <div class="tile">
            <span>{t('callback.week')}</span>
            <strong>
              {d.done_this_week ?? 0} / {d.weekly_target ?? 18}
            </strong>
          </div>
        </div>
      )}
      {d?.callbacks?.length === 0 && <Empty text={t('callback.none')} />}
      {d?.callbacks?.map((cb) => (
        <div class={`card inner ${cb.overdue ? 'breached' : ''}`} data-testid="callback">
          <div class="row">
            <strong>
              {label('callback_reason', cb.reason)} · {cb.unit_id}
            </strong>
            <Badge group="callback" value={cb.status} />
          </div>
          <div class="meta">
            {t('callback.due')} {formatDateTime(cb.due_at)} · {t('callback.attempts')} {cb.attempts ?? 0}
            {cb.ticket_id && (
              <>
                {' · '}
                <Link to={`/tickets/${cb.ticket_id}`}>{t('common.view_ticket')}</Link>
              </>
            )}
          </div>
          {openId === cb.callback_id ? (
            <RecordCallback
              cb={cb}
              onDone={() => {
                setOpenId('');
                list.reload();
              }}
            />
          ) : (
            cb.status === 'pending' && <button onClick={() => setOpenId(cb.callback_id)}>{t('callback.record')}</button>
          )}
        </div>
      ))}
    </Section>
  );
}
