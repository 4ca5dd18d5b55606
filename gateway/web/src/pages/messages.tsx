// Owner messages (issue 18): what the platform told an owner (SMS, WeChat, app) and which kinds
// the owner does not want. The owner reads their own log; the agent sees it on the ticket page.
import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { formatDateTime } from '../format';
import { label, t } from '../i18n';
import type { Claims } from '../session';
import { Badge, Empty, ErrorBox, Loading, Notice, Section, useAction, useAsync } from '../ui';
import { OwnerSurveys } from './surveys';

export interface OwnerMessage {
  message_id: string;
  channel: string;
  kind: string;
  to_masked?: string;
  text: string;
  status: string;
  created_at: string;
  sent_at?: string | null;
  delivered_at?: string | null;
}

// Kinds an owner may turn off; urgent notices (incident_notice) always reach them.
export const OPTIONAL_KINDS = [
  'appointment_scheduled',
  'appointment_reminder',
  'technician_late',
  'quote_issued',
  'signoff_requested',
  'deadline_extended',
  'payment_reminder',
  'invoice_overdue',
  'warranty_expiry',
  'announcement',
  'key_collection_reminder',
];

export function MessageLog({ ownerId, limit }: { ownerId: string; limit?: number }) {
  const log = useAsync(
    () => api<{ messages?: OwnerMessage[] }>('GET', `/v1/owners/${enc(ownerId)}/messages`, undefined, { query: { limit } }),
    [ownerId, limit],
  );
  const messages = log.data?.messages ?? [];
  return (
    <>
      <ErrorBox error={log.error} />
      <Loading when={log.loading && !log.data} />
      {log.data && messages.length === 0 && <Empty text={t('messages.none')} />}
      <ul class="message-list" data-testid="owner-messages">
        {messages.map((m) => (
          <li class="card inner" data-testid="owner-message">
            <div class="row">
              <strong>{label('message_kind', m.kind)}</strong>
              <Badge group="message" value={m.status} />
            </div>
            <div class="desc">{m.text}</div>
            <div class="meta">
              {label('message_channel', m.channel)}
              {m.to_masked ? ` · ${m.to_masked}` : ''} · {formatDateTime(m.created_at)}
              {m.delivered_at ? ` · ${t('messages.delivered_at')} ${formatDateTime(m.delivered_at)}` : ''}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

export function Preferences({ ownerId }: { ownerId: string }) {
  const prefs = useAsync(() => api<{ opt_out?: string[] }>('GET', `/v1/owners/${enc(ownerId)}/notification-preferences`), [ownerId]);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const off = new Set(prefs.data?.opt_out ?? []);
  const toggle = async (kind: string, wanted: boolean) => {
    const next = new Set(off);
    if (wanted) next.delete(kind);
    else next.add(kind);
    const out = await run(() =>
      api<{ opt_out?: string[] }>('PUT', `/v1/owners/${enc(ownerId)}/notification-preferences`, { opt_out: [...next].sort() }),
    );
    if (out) {
      prefs.setData(out);
      setSaved(true);
    }
  };
  return (
    <>
      <ErrorBox error={prefs.error ?? error} />
      {saved && <Notice>{t('messages.saved')}</Notice>}
      <p class="hint">{t('messages.urgent_always')}</p>
      <ul class="checks" data-testid="message-preferences">
        {OPTIONAL_KINDS.map((kind) => (
          <li>
            <label>
              <input
                type="checkbox"
                name={kind}
                disabled={busy || !prefs.data}
                checked={!off.has(kind)}
                onChange={(e) => toggle(kind, e.currentTarget.checked)}
              />{' '}
              {label('message_kind', kind)}
            </label>
          </li>
        ))}
      </ul>
    </>
  );
}

export function OwnerMessages({ who }: { who: Claims }) {
  return (
    <>
      <OwnerSurveys who={who} />
      <Section title={t('nav.messages')}>
        <MessageLog ownerId={who.sub} />
      </Section>
      <Section title={t('messages.preferences')}>
        <Preferences ownerId={who.sub} />
      </Section>
    </>
  );
}

// On the ticket page: what the ticket's owner has been told lately (staff only).
export function TicketOwnerMessages({ ownerId }: { ownerId: string }) {
  return (
    <Section title={t('messages.of_owner')}>
      <MessageLog ownerId={ownerId} limit={20} />
    </Section>
  );
}
