// The owners' pages (phone-sized): report a problem with photos, my tickets, points, invoices.
import { useState } from 'preact/hooks';
import { api, enc, listAll, newKey } from '../api';
import { categoryOf, CATEGORIES, COMPONENTS, KINDS, unitName, type Ticket, type Unit } from '../domain';
import { fenToYuanText, formatDate, formatDateTime, formatFen, parseYuan } from '../format';
import { label, t } from '../i18n';
import { preparePhoto, uploadPhoto, type Photo } from '../photos';
import type { Claims } from '../session';
import { Badge, Empty, ErrorBox, Field, Link, Loading, Notice, Section, SlaPill, useAction, useAsync, useDraft, useNow } from '../ui';

// The owner's units from the token, with their names from the registry.
export function useOwnerUnits(who: Claims) {
  return useAsync(
    () =>
      Promise.all(
        who.units.map((u) => api<Unit>('GET', `/v1/units/${enc(u)}`).catch(() => ({ unit_id: u }) as Unit)),
      ),
    [who.sub, who.units.join(',')],
  );
}

export function PhotoPicker({ photos, setPhotos }: { photos: Photo[]; setPhotos: (p: Photo[]) => void }) {
  const { error, run } = useAction();
  return (
    <div class="photos">
      <div class="thumbs">
        {photos.map((p, i) => (
          <figure class="thumb" data-testid="photo-thumb">
            <img src={p.preview} alt={p.filename} />
            <button type="button" class="remove" aria-label={t('common.remove')} onClick={() => setPhotos(photos.filter((_, j) => j !== i))}>
              ×
            </button>
            {p.uploaded && <span class="ok">✓</span>}
          </figure>
        ))}
        <label class="add-photo">
          <input
            type="file"
            accept="image/jpeg,image/png"
            multiple
            capture="environment"
            data-testid="photo-input"
            onChange={async (e) => {
              const files = Array.from(e.currentTarget.files ?? []);
              e.currentTarget.value = '';
              const added = await run(() => Promise.all(files.map(preparePhoto)));
              if (added) setPhotos([...photos, ...added]);
            }}
          />
          <span>＋ {t('owner.add_photo')}</span>
        </label>
      </div>
      <ErrorBox error={error} />
    </div>
  );
}

export function OwnerReport({ who }: { who: Claims }) {
  const units = useOwnerUnits(who);
  const [form, update, clear] = useDraft('owner-report', () => ({
    unit_id: who.units[0] ?? '',
    kind: 'repair',
    component: '',
    category: '',
    urgent: false,
    description: '',
    key: newKey(),
  }));
  const [photos, setPhotos] = useState<Photo[]>([]);
  const [created, setCreated] = useState<Ticket | null>(null);
  const [done, setDone] = useState<Ticket | null>(null);
  const { busy, error, run } = useAction();

  const unit = units.data?.find((u) => u.unit_id === form.unit_id);
  const submit = async (e: Event) => {
    e.preventDefault();
    const ok = await run(async () => {
      let ticket = created;
      if (!ticket) {
        ticket = await api<Ticket>(
          'POST',
          '/v1/tickets',
          {
            project_id: unit?.project_id ?? who.projects.find((p) => p !== '*'),
            unit_id: form.unit_id,
            kind: form.kind,
            category: form.category || categoryOf(form.component || 'other'),
            component: form.component || 'other',
            urgency: form.urgent ? 'emergency' : 'normal',
            channel: 'web',
            description: form.description.trim(),
          },
          { idempotencyKey: form.key },
        );
        setCreated(ticket);
      }
      // Photos go up one by one; the ones already sent are not sent again on a retry.
      const next = [...photos];
      for (let i = 0; i < next.length; i++) {
        if (next[i].uploaded) continue;
        await uploadPhoto(ticket.ticket_id, next[i], 'photo_before', `${form.key}-photo-${i}`);
        next[i] = { ...next[i], uploaded: true };
        setPhotos([...next]);
      }
      return ticket;
    });
    if (ok) {
      setDone(ok);
      setCreated(null);
      setPhotos([]);
      clear();
    }
  };

  if (done)
    return (
      <Section title={t('owner.report_title')}>
        <div data-testid="report-done">
          <Notice>
            {t('owner.reported', { no: done.ticket_no })}{' '}
            <Link to={`/tickets/${done.ticket_id}`}>{t('common.view')}</Link>
          </Notice>
        </div>
        <p class="hint">
          {t('ticket.response_due')}: {formatDateTime(done.response_due)} · {t('ticket.resolve_due')}: {formatDateTime(done.resolve_due)}
        </p>
        <button onClick={() => setDone(null)}>{t('owner.report_another')}</button>
      </Section>
    );

  return (
    <Section title={t('owner.report_title')}>
      <form class="form narrow" onSubmit={submit} data-testid="report-form">
        <Loading when={units.loading} />
        <Field label={t('field.unit_id')}>
          <select name="unit" value={form.unit_id} onChange={(e) => update({ unit_id: e.currentTarget.value })}>
            {(units.data ?? who.units.map((u) => ({ unit_id: u }) as Unit)).map((u) => (
              <option value={u.unit_id}>{unitName(u, u.unit_id)}</option>
            ))}
          </select>
        </Field>
        <fieldset class="chips">
          <legend>{t('field.kind')}</legend>
          {KINDS.map((k) => (
            <label class={form.kind === k ? 'chip on' : 'chip'}>
              <input type="radio" name="kind" value={k} checked={form.kind === k} onChange={() => update({ kind: k })} />
              {label('kind', k)}
            </label>
          ))}
        </fieldset>
        <Field label={t('owner.where')} hint={form.component ? t(`plain.component.${form.component}`) : t('owner.where_hint')}>
          <select
            name="component"
            value={form.component}
            onChange={(e) => {
              const c = e.currentTarget.value;
              update({ component: c, category: categoryOf(c) });
            }}
          >
            <option value="">{t('common.choose')}</option>
            {COMPONENTS.map((c) => (
              <option value={c}>{label('component', c)}</option>
            ))}
          </select>
        </Field>
        <Field label={t('field.category')} hint={form.category ? t(`plain.category.${form.category}`) : ''}>
          <select name="category" value={form.category} onChange={(e) => update({ category: e.currentTarget.value })}>
            <option value="">{t('common.choose')}</option>
            {CATEGORIES.map((c) => (
              <option value={c}>{label('category', c)}</option>
            ))}
          </select>
        </Field>
        <Field label={t('field.description')}>
          <textarea
            name="description"
            rows={4}
            value={form.description}
            placeholder={t('owner.description_hint')}
            onInput={(e) => update({ description: e.currentTarget.value })}
          />
        </Field>
        <label class="check">
          <input type="checkbox" name="urgent" checked={form.urgent} onChange={(e) => update({ urgent: e.currentTarget.checked })} />
          {t('owner.urgent')}
        </label>
        <div class="field">
          <span class="field-label">{t('owner.photos')}</span>
          <PhotoPicker photos={photos} setPhotos={setPhotos} />
        </div>
        {created && <Notice>{t('owner.created_photos_pending', { no: created.ticket_no })}</Notice>}
        <ErrorBox error={error} />
        <button type="submit" class="primary block" disabled={busy}>
          {busy ? t('common.sending') : created ? t('owner.retry_photos') : t('owner.submit')}
        </button>
      </form>
    </Section>
  );
}

export function OwnerTickets({ who }: { who: Claims }) {
  const now = useNow();
  const tickets = useAsync(async () => {
    const lists = await Promise.all(who.units.map((u) => listAll<Ticket>('/v1/tickets', 'tickets', { unit_id: u }, 200)));
    return lists.flat().sort((a, b) => b.reported_at.localeCompare(a.reported_at));
  }, [who.sub]);
  return (
    <Section title={t('nav.my_tickets')} actions={<button onClick={tickets.reload}>{t('common.refresh')}</button>}>
      <Loading when={tickets.loading && !tickets.data} />
      <ErrorBox error={tickets.error} />
      {tickets.data?.length === 0 && <Empty text={t('owner.no_tickets')} />}
      <ul class="ticket-cards" data-testid="my-tickets">
        {tickets.data?.map((tk) => (
          <li>
            <Link to={`/tickets/${tk.ticket_id}`} class="ticket-card">
              <div class="row">
                <strong>{label('component', tk.component)}</strong>
                <Badge group="status" value={tk.status} />
              </div>
              <div class="desc">{tk.description}</div>
              <div class="meta">
                {tk.ticket_no} · {formatDateTime(tk.reported_at)}
              </div>
              <div class="meta">
                {t('ticket.resolve_due')} {formatDate(tk.resolve_due)} · <SlaPill ticket={tk} now={now} />
              </div>
            </Link>
          </li>
        ))}
      </ul>
    </Section>
  );
}

interface Member {
  owner_id: string;
  card_no?: string;
  balance?: number;
  held?: number;
  tier?: string;
  lifetime_earned?: number;
}
interface LedgerEntry {
  entry_id?: string;
  at: string;
  kind: string;
  points: number;
  reason?: string;
  note?: string;
  balance_after?: number;
}

export function OwnerPoints({ who }: { who: Claims }) {
  const member = useAsync(() => api<Member>('GET', `/v1/members/${enc(who.sub)}`), [who.sub]);
  const ledger = useAsync(
    () => api<{ entries: LedgerEntry[] }>('GET', `/v1/members/${enc(who.sub)}/ledger`, undefined, { query: { page_size: 50 } }),
    [who.sub],
  );
  const merchants = useAsync(
    () => api<{ merchants: { merchant_id: string; name: string }[] }>('GET', '/v1/merchants', undefined, { query: { project_id: who.projects[0] } }),
    [who.sub],
  );
  const [form, update, clear] = useDraft('owner-redeem', () => ({ merchant_id: '', item: '', points: '', key: newKey() }));
  const { busy, error, run } = useAction();
  const [ok, setOk] = useState('');
  const redeem = async (e: Event) => {
    e.preventDefault();
    setOk('');
    const out = await run(() =>
      api('POST', `/v1/members/${enc(who.sub)}/redemptions`, { merchant_id: form.merchant_id.trim(), item: form.item.trim(), points: Number(form.points) }, { idempotencyKey: form.key }),
    );
    if (out) {
      setOk(t('owner.redeemed', { points: form.points, item: form.item }));
      clear();
      member.reload();
      ledger.reload();
    }
  };
  return (
    <>
      <Section title={t('nav.points')}>
        <ErrorBox error={member.error} />
        {member.data && (
          <div class="tiles" data-testid="points">
            <div class="tile">
              <span>{t('owner.balance')}</span>
              <strong data-testid="balance">{member.data.balance ?? 0}</strong>
            </div>
            <div class="tile">
              <span>{t('owner.held')}</span>
              <strong>{member.data.held ?? 0}</strong>
            </div>
            <div class="tile">
              <span>{t('owner.tier')}</span>
              <strong>{label('tier', member.data.tier)}</strong>
            </div>
            <div class="tile">
              <span>{t('owner.card')}</span>
              <strong class="small">{member.data.card_no}</strong>
            </div>
          </div>
        )}
      </Section>
      <Section title={t('owner.redeem_title')}>
        <form class="form narrow" onSubmit={redeem}>
          <Field label={t('owner.merchant')}>
            <input list="merchants" name="merchant_id" required value={form.merchant_id} onInput={(e) => update({ merchant_id: e.currentTarget.value })} />
            <datalist id="merchants">
              {merchants.data?.merchants?.map((m) => (
                <option value={m.merchant_id}>{m.name}</option>
              ))}
            </datalist>
          </Field>
          <Field label={t('owner.item')}>
            <input name="item" required value={form.item} onInput={(e) => update({ item: e.currentTarget.value })} />
          </Field>
          <Field label={t('owner.points_to_use')}>
            <input name="points" type="number" min="1" inputMode="numeric" required value={form.points} onInput={(e) => update({ points: e.currentTarget.value })} />
          </Field>
          <ErrorBox error={error} />
          {ok && <Notice>{ok}</Notice>}
          <button type="submit" class="primary block" disabled={busy}>
            {t('owner.redeem')}
          </button>
        </form>
      </Section>
      <Section title={t('owner.ledger')}>
        <ErrorBox error={ledger.error} />
        {ledger.data?.entries?.length === 0 && <Empty />}
        <table class="table">
          <tbody>
            {ledger.data?.entries?.map((en) => (
              <tr>
                <td>{formatDate(en.at)}</td>
                <td>{label('ledger', en.kind)}</td>
                <td>{en.reason ? label('earn', en.reason) : ''} {en.note}</td>
                <td class={en.points < 0 || ['redeem', 'hold', 'expire'].includes(en.kind) ? 'num neg' : 'num'}>{en.points}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}

interface Invoice {
  invoice_id: string;
  unit_id: string;
  period: string;
  kind?: string;
  amount_fen: number;
  paid_fen: number;
  outstanding_fen?: number;
  due_date: string;
  status: string;
  description?: string;
}

function PayForm({ inv, onPaid }: { inv: Invoice; onPaid: () => void }) {
  const due = inv.outstanding_fen ?? inv.amount_fen - inv.paid_fen;
  const [form, update, clear] = useDraft(`pay-${inv.invoice_id}`, () => ({ amount: fenToYuanText(due), reference: `web-${newKey()}` }));
  const { busy, error, run, setError } = useAction();
  const pay = async (e: Event) => {
    e.preventDefault();
    const fen = parseYuan(form.amount);
    if (fen === null || fen <= 0) {
      setError(new Error(t('owner.bad_amount')));
      return;
    }
    const out = await run(() => api('POST', '/v1/payments', { invoice_id: inv.invoice_id, amount_fen: fen, reference: form.reference }, { idempotencyKey: form.reference }));
    if (out) {
      clear();
      onPaid();
    }
  };
  return (
    <form class="pay" onSubmit={pay}>
      <input name="amount" inputMode="decimal" aria-label={t('owner.amount')} value={form.amount} onInput={(e) => update({ amount: e.currentTarget.value })} />
      <button type="submit" class="primary" disabled={busy}>
        {t('owner.pay')}
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

export function OwnerInvoices({ who }: { who: Claims }) {
  const units = useOwnerUnits(who);
  const invoices = useAsync(async () => {
    const lists = await Promise.all(who.units.map((u) => listAll<Invoice>('/v1/invoices', 'invoices', { unit_id: u }, 200)));
    return lists.flat().sort((a, b) => b.period.localeCompare(a.period));
  }, [who.sub]);
  const [paidNote, setPaidNote] = useState(false);
  return (
    <Section title={t('nav.invoices')}>
      <ErrorBox error={invoices.error} />
      <Loading when={invoices.loading && !invoices.data} />
      {paidNote && <Notice>{t('owner.paid')}</Notice>}
      {invoices.data?.length === 0 && <Empty />}
      <ul class="invoice-cards" data-testid="invoices">
        {invoices.data?.map((inv) => {
          const due = inv.outstanding_fen ?? inv.amount_fen - inv.paid_fen;
          return (
            <li class="card inner">
              <div class="row">
                <strong>
                  {inv.period} · {label('invoice_kind', inv.kind)}
                </strong>
                <Badge group="invoice" value={inv.status} />
              </div>
              <div class="meta">
                {unitName(units.data?.find((u) => u.unit_id === inv.unit_id), inv.unit_id)} · {t('owner.due_date')} {inv.due_date}
              </div>
              <div class="row">
                <span>
                  {t('owner.amount')} {formatFen(inv.amount_fen)} · {t('owner.paid_amount')} {formatFen(inv.paid_fen)}
                </span>
                <strong>{formatFen(due)}</strong>
              </div>
              {due > 0 && inv.status !== 'void' && (
                <PayForm
                  inv={inv}
                  onPaid={() => {
                    setPaidNote(true);
                    invoices.reload();
                  }}
                />
              )}
            </li>
          );
        })}
      </ul>
    </Section>
  );
}
