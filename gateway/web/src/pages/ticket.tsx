// One ticket for everyone who may see it: facts, SLA, status timeline (history), photos, work
// orders. Owners confirm quotes and sign off with a rating; agents record the first response,
// merge duplicates and split tickets.
import { useState } from 'preact/hooks';
import { api, enc, newKey } from '../api';
import { CATEGORIES, COMPONENTS, KINDS, type Ticket, type WorkOrder } from '../domain';
import { formatDateTime, formatFen } from '../format';
import { label, t } from '../i18n';
import { type Attachment, type Photo, uploadPhoto } from '../photos';
import type { Claims } from '../session';
import { Badge, Empty, ErrorBox, Field, Link, Loading, Notice, Section, SlaPill, useAction, useAsync, useDraft, useNow } from '../ui';
import { PhotoPicker } from './owner';
import { TicketOwnerMessages } from './messages';

interface HistoryEntry {
  at: string;
  actor: string;
  action: string;
  detail: string;
}

function Timeline({ entries }: { entries: HistoryEntry[] }) {
  return (
    <ol class="timeline" data-testid="timeline">
      {entries.map((e) => (
        <li>
          <time>{formatDateTime(e.at)}</time>
          <strong>{label('action', e.action)}</strong>
          <span class="actor">{e.actor}</span>
          {e.detail && <div class="detail">{e.detail}</div>}
        </li>
      ))}
    </ol>
  );
}

function AttachmentThumb({ a }: { a: Attachment }) {
  const full = useAsync(() => api<Attachment>('GET', `/v1/attachments/${enc(a.attachment_id)}`), [a.attachment_id]);
  const src = full.data?.content ? `data:${full.data.content_type ?? a.content_type};base64,${full.data.content}` : '';
  return (
    <figure class="thumb" data-testid="attachment">
      {src && (a.content_type ?? '').startsWith('image/') ? (
        <a href={src} target="_blank" rel="noopener">
          <img src={src} alt={a.filename} />
        </a>
      ) : (
        <span class="file">{a.filename}</span>
      )}
      <figcaption>{label('attachment', a.kind)}</figcaption>
    </figure>
  );
}

function Attachments({ ticket, canAdd }: { ticket: Ticket; canAdd: boolean }) {
  const list = useAsync(
    () => api<{ attachments: Attachment[] }>('GET', `/v1/tickets/${enc(ticket.ticket_id)}/attachments`),
    [ticket.ticket_id],
  );
  const [photos, setPhotos] = useState<Photo[]>([]);
  const { busy, error, run } = useAction();
  const upload = async () => {
    const ok = await run(async () => {
      const next = [...photos];
      for (let i = 0; i < next.length; i++) {
        if (next[i].uploaded) continue;
        await uploadPhoto(ticket.ticket_id, next[i], 'photo_before');
        next[i] = { ...next[i], uploaded: true };
        setPhotos([...next]);
      }
      return true;
    });
    if (ok) {
      setPhotos([]);
      list.reload();
    }
  };
  return (
    <Section title={t('ticket.photos')}>
      <ErrorBox error={list.error} />
      <div class="thumbs">
        {list.data?.attachments?.map((a) => (
          <AttachmentThumb a={a} />
        ))}
      </div>
      {list.data?.attachments?.length === 0 && <Empty text={t('ticket.no_photos')} />}
      {canAdd && (
        <>
          <PhotoPicker photos={photos} setPhotos={setPhotos} />
          {photos.length > 0 && (
            <button class="primary" disabled={busy} onClick={upload}>
              {t('ticket.upload')}
            </button>
          )}
          <ErrorBox error={error} />
        </>
      )}
    </Section>
  );
}

function OwnerWorkOrderActions({ wo, onDone }: { wo: WorkOrder; onDone: () => void }) {
  const [form, update, clear] = useDraft(`signoff-${wo.work_order_id}`, { stars: 5, comment: '' });
  const { busy, error, run } = useAction();
  const signedByOwner = wo.sign_offs?.some((s) => s.signer === 'owner');
  const act = async (path: string, body: unknown) => {
    if (await run(() => api('POST', `/v1/work-orders/${enc(wo.work_order_id)}/${path}`, body))) {
      clear();
      onDone();
    }
  };
  return (
    <div class="wo-actions">
      {wo.quote?.status === 'issued' && (
        <div class="quote">
          {t('wo.quote')}: {formatFen(wo.quote.amount_fen)} {wo.quote.items}
          <button class="primary" disabled={busy} onClick={() => act('confirm-quote', { quote_id: wo.quote?.quote_id, accept: true })}>
            {t('wo.accept_quote')}
          </button>
          <button disabled={busy} onClick={() => act('confirm-quote', { quote_id: wo.quote?.quote_id, accept: false })}>
            {t('wo.decline_quote')}
          </button>
        </div>
      )}
      {wo.status === 'completed' && !signedByOwner && (
        <form
          class="signoff"
          onSubmit={async (e) => {
            e.preventDefault();
            // The stars are data (issue 23): the rating route after the signature, not text in
            // its comment. A rating the agent took on the phone before stays (409 is fine).
            const comment = form.comment.trim();
            const base = `/v1/work-orders/${enc(wo.work_order_id)}`;
            const done = await run(async () => {
              await api('POST', `${base}/sign-off`, { signer: 'owner', comment });
              return api('POST', `${base}/rating`, { score: form.stars, comment }).catch((err) => {
                if ((err as { status?: number }).status === 409) return true;
                throw err;
              });
            });
            if (done) {
              clear();
              onDone();
            }
          }}
        >
          <span class="field-label">{t('wo.rate_and_sign')}</span>
          <div class="stars" role="radiogroup" aria-label={t('wo.rating')}>
            {[1, 2, 3, 4, 5].map((n) => (
              <button type="button" class={n <= form.stars ? 'star on' : 'star'} aria-label={`${n}`} onClick={() => update({ stars: n })}>
                ★
              </button>
            ))}
          </div>
          <input name="comment" placeholder={t('wo.comment')} value={form.comment} onInput={(e) => update({ comment: e.currentTarget.value })} />
          <button type="submit" class="primary" disabled={busy}>
            {t('wo.sign_off')}
          </button>
        </form>
      )}
      <ErrorBox error={error} />
    </div>
  );
}

function WorkOrders({ ticket, who }: { ticket: Ticket; who: Claims }) {
  const list = useAsync(
    () => api<{ work_orders: WorkOrder[] }>('GET', '/v1/work-orders', undefined, { query: { ticket_id: ticket.ticket_id } }),
    [ticket.ticket_id],
  );
  return (
    <Section title={t('ticket.work_orders')}>
      <ErrorBox error={list.error} />
      {list.data?.work_orders?.length === 0 && <Empty text={t('ticket.no_work_orders')} />}
      {list.data?.work_orders?.map((wo) => (
        <div class="card inner" data-testid="work-order">
          <div class="row">
            <strong>
              {label('party', wo.assignee_kind)} {who.role === 'owner' ? '' : wo.party_id}
            </strong>
            <Badge group="wo" value={wo.status} />
          </div>
          <div class="meta">
            {wo.appointment?.start
              ? `${t('wo.appointment')}: ${formatDateTime(wo.appointment.start)} – ${formatDateTime(wo.appointment.end).slice(11)}`
              : t('wo.no_appointment')}
            {wo.technician_id ? ` · ${t('wo.technician')} ${wo.technician_id}` : ''}
          </div>
          {wo.deadline && (
            <div class="meta">
              {t('wo.deadline')}: {formatDateTime(wo.deadline)}
            </div>
          )}
          {wo.sign_offs?.map((s) => (
            <div class="meta">
              ✓ {label('signer', s.signer)} {formatDateTime(s.signed_at)} {s.comment}
            </div>
          ))}
          {who.role === 'owner' && <OwnerWorkOrderActions wo={wo} onDone={list.reload} />}
        </div>
      ))}
    </Section>
  );
}

function StaffActions({ ticket, onChange }: { ticket: Ticket; onChange: (t?: Ticket) => void }) {
  const [open, setOpen] = useState<'' | 'response' | 'merge' | 'split'>('');
  const [form, update, clear] = useDraft(`staff-${ticket.ticket_id}`, () => ({
    message: '',
    source_ticket_id: '',
    reason: '',
    kind: ticket.kind,
    category: ticket.category,
    component: ticket.component,
    description: '',
    key: newKey(),
  }));
  const { busy, error, run } = useAction();
  const [note, setNote] = useState<{ text: string; link?: string } | null>(null);
  const post = async (path: string, body: unknown, key?: string) => {
    const out = await run(() => api<Ticket>('POST', `/v1/tickets/${enc(ticket.ticket_id)}/${path}`, body, { idempotencyKey: key }));
    if (out) {
      clear();
      setOpen('');
      return out;
    }
    return undefined;
  };
  return (
    <Section title={t('ticket.actions')}>
      <div class="button-row">
        {!ticket.responded_at && (
          <button onClick={() => setOpen('response')} class={open === 'response' ? 'on' : ''}>
            {t('ticket.record_response')}
          </button>
        )}
        <button onClick={() => setOpen('merge')} class={open === 'merge' ? 'on' : ''} data-testid="open-merge">
          {t('ticket.merge')}
        </button>
        <button onClick={() => setOpen('split')} class={open === 'split' ? 'on' : ''} data-testid="open-split">
          {t('ticket.split')}
        </button>
      </div>
      {open === 'response' && (
        <form
          class="form"
          onSubmit={async (e) => {
            e.preventDefault();
            const out = await post('response', { message: form.message.trim() });
            if (out) {
              setNote({ text: t('ticket.response_recorded') });
              onChange(out);
            }
          }}
        >
          <Field label={t('ticket.response_message')}>
            <textarea rows={2} value={form.message} onInput={(e) => update({ message: e.currentTarget.value })} />
          </Field>
          <button class="primary" disabled={busy}>
            {t('common.save')}
          </button>
        </form>
      )}
      {open === 'merge' && (
        <form
          class="form"
          onSubmit={async (e) => {
            e.preventDefault();
            const out = await post('merge', { source_ticket_id: form.source_ticket_id.trim(), reason: form.reason.trim() });
            if (out) {
              setNote({ text: t('ticket.merged') });
              onChange();
            }
          }}
        >
          <p class="hint">{t('ticket.merge_hint')}</p>
          <Field label={t('ticket.source_ticket')}>
            <input name="source_ticket_id" required value={form.source_ticket_id} onInput={(e) => update({ source_ticket_id: e.currentTarget.value })} />
          </Field>
          <Field label={t('field.reason')}>
            <input name="reason" required value={form.reason} onInput={(e) => update({ reason: e.currentTarget.value })} />
          </Field>
          <button class="primary" disabled={busy}>
            {t('ticket.merge')}
          </button>
        </form>
      )}
      {open === 'split' && (
        <form
          class="form"
          onSubmit={async (e) => {
            e.preventDefault();
            const out = await post(
              'split',
              { kind: form.kind, category: form.category, component: form.component, description: form.description.trim() },
              form.key,
            );
            if (out) setNote({ text: t('ticket.split_done', { no: out.ticket_no }), link: `/tickets/${out.ticket_id}` });
          }}
        >
          <p class="hint">{t('ticket.split_hint')}</p>
          <div class="grid3">
            <Field label={t('field.kind')}>
              <select value={form.kind} onChange={(e) => update({ kind: e.currentTarget.value })}>
                {KINDS.map((k) => (
                  <option value={k}>{label('kind', k)}</option>
                ))}
              </select>
            </Field>
            <Field label={t('field.category')}>
              <select value={form.category} onChange={(e) => update({ category: e.currentTarget.value })}>
                {CATEGORIES.map((k) => (
                  <option value={k}>{label('category', k)}</option>
                ))}
              </select>
            </Field>
            <Field label={t('field.component')}>
              <select value={form.component} onChange={(e) => update({ component: e.currentTarget.value })}>
                {COMPONENTS.map((k) => (
                  <option value={k}>{label('component', k)}</option>
                ))}
              </select>
            </Field>
          </div>
          <Field label={t('field.description')}>
            <textarea rows={2} required value={form.description} onInput={(e) => update({ description: e.currentTarget.value })} />
          </Field>
          <button class="primary" disabled={busy}>
            {t('ticket.split')}
          </button>
        </form>
      )}
      <ErrorBox error={error} />
      {note && (
        <Notice>
          {note.text} {note.link && <Link to={note.link}>{t('common.view')}</Link>}
        </Notice>
      )}
    </Section>
  );
}

export function TicketDetail({ id, who }: { id: string; who: Claims }) {
  const now = useNow();
  const ticket = useAsync(() => api<Ticket>('GET', `/v1/tickets/${enc(id)}`), [id]);
  const history = useAsync(() => api<{ entries: HistoryEntry[] }>('GET', `/v1/tickets/${enc(id)}/history`), [id]);
  const tk = ticket.data;
  const staff = ['agent', 'supervisor', 'admin'].includes(who.role);
  return (
    <div class="ticket-page">
      <Loading when={ticket.loading && !tk} />
      <ErrorBox error={ticket.error} />
      {tk && (
        <Section title={`${t('ticket.title')} ${tk.ticket_no}`} actions={<SlaPill ticket={tk} now={now} />}>
          <dl class="facts" data-testid="ticket-facts">
            <dt>{t('field.status')}</dt>
            <dd>
              <Badge group="status" value={tk.status} />
              {tk.escalation_level > 0 && <span class="badge escalated">{t('ticket.escalated', { n: tk.escalation_level })}</span>}
            </dd>
            <dt>{t('field.kind')}</dt>
            <dd>
              {label('kind', tk.kind)} · {label('urgency', tk.urgency)}
            </dd>
            <dt>{t('field.component')}</dt>
            <dd>
              {label('component', tk.component)} ({label('category', tk.category)})
            </dd>
            <dt>{t('field.description')}</dt>
            <dd class="desc">{tk.description}</dd>
            <dt>{t('field.unit_id')}</dt>
            <dd>{tk.unit_id}</dd>
            <dt>{t('ticket.warranty')}</dt>
            <dd>
              {tk.in_warranty ? t('ticket.in_warranty') : t('ticket.out_of_warranty')} ({t('ticket.until')} {tk.warranty_ends})
            </dd>
            <dt>{t('ticket.reported_at')}</dt>
            <dd>
              {formatDateTime(tk.reported_at)} · {label('channel', tk.channel)}
            </dd>
            <dt>{t('ticket.response_due')}</dt>
            <dd>
              {formatDateTime(tk.response_due)} {tk.responded_at ? `✓ ${formatDateTime(tk.responded_at)}` : ''}
            </dd>
            <dt>{t('ticket.resolve_due')}</dt>
            <dd>{formatDateTime(tk.resolve_due)}</dd>
            <dt>{t('ticket.recurrence')}</dt>
            <dd>{tk.recurrence}</dd>
            {tk.incident_id && (
              <>
                <dt>{t('incident.of_ticket')}</dt>
                <dd>
                  <Link to={`/incidents/${tk.incident_id}`}>{t('incident.of_ticket_link')}</Link>
                </dd>
              </>
            )}
            {staff && (
              <>
                <dt>{t('ticket.owner_agent')}</dt>
                <dd>{tk.owner_agent || '—'}</dd>
              </>
            )}
          </dl>
        </Section>
      )}
      {tk && staff && <StaffActions ticket={tk} onChange={(n) => (n ? ticket.setData(n) : ticket.reload(), history.reload())} />}
      {tk && <Attachments ticket={tk} canAdd={who.role === 'owner' || staff} />}
      {tk && <WorkOrders ticket={tk} who={who} />}
      {tk && staff && tk.owner_id && <TicketOwnerMessages ownerId={tk.owner_id} />}
      <Section title={t('ticket.timeline')}>
        <ErrorBox error={history.error} />
        {history.data && <Timeline entries={history.data.entries ?? []} />}
      </Section>
    </div>
  );
}
