// Issue 23: announcements (公告). Agents, supervisors and admins post a notice to the whole project
// or some buildings, common or urgent, now or at a set time; staff follow its status, recipients
// and read counts. Owners read the sent notices of their buildings on their 小区公告 page (reading
// them there is what counts as read).
import { useState } from 'preact/hooks';
import { api, enc, listAll, newKey } from '../api';
import { formatDateTime } from '../format';
import { t } from '../i18n';
import { currentProject, type Claims } from '../session';
import { Badge, Empty, ErrorBox, Field, Loading, Notice, Section, useAction, useAsync, useDraft } from '../ui';
import { useOwnerUnits } from './owner';
import { BuildingChips, OwnerIncidents, scopeText, useBuildings } from './incidents';

export const POST_ANNOUNCEMENT_ROLES = ['agent', 'supervisor', 'admin'];

export interface Announcement {
  announcement_id: string;
  project_id: string;
  title: string;
  body: string;
  buildings?: string[];
  urgent?: boolean;
  status: string;
  recipients?: number;
  read_count?: number;
  send_at?: string;
  sent_at?: string;
  created_at?: string;
  posted_by?: string;
}

function PostForm({ project, onPosted }: { project: string; onPosted: (a: Announcement) => void }) {
  const buildings = useBuildings(project);
  const [form, update, clear] = useDraft(`announcement-${project}`, () => ({
    title: '',
    body: '',
    buildings: [] as string[],
    urgent: false,
    when: 'now',
    send_at: '',
    key: newKey(),
  }));
  const { busy, error, run } = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { title: form.title.trim(), body: form.body.trim(), buildings: form.buildings, urgent: form.urgent };
    if (form.when === 'later' && form.send_at) body.send_at = new Date(form.send_at).toISOString();
    const out = await run(() => api<Announcement>('POST', `/v1/projects/${enc(project)}/announcements`, body, { idempotencyKey: form.key }));
    if (out) {
      clear();
      onPosted(out);
    }
  };
  return (
    <Section title={t('announcement.post')}>
      <form class="form" data-testid="announcement-form" onSubmit={submit}>
        <Field label={t('announcement.title')}>
          <input name="title" required maxLength={200} value={form.title} onInput={(e) => update({ title: e.currentTarget.value })} />
        </Field>
        <Field label={t('announcement.body')}>
          <textarea name="body" required rows={4} maxLength={5000} value={form.body} onInput={(e) => update({ body: e.currentTarget.value })} />
        </Field>
        <ErrorBox error={buildings.error} />
        <BuildingChips all={buildings.data ?? []} chosen={form.buildings} onChange={(b) => update({ buildings: b })} />
        <label class="check">
          <input type="checkbox" name="urgent" checked={form.urgent} onChange={(e) => update({ urgent: e.currentTarget.checked })} />
          {t('announcement.urgent_hint')}
        </label>
        <div class="chips" role="radiogroup" aria-label={t('announcement.when')}>
          {['now', 'later'].map((w) => (
            <label class={`chip ${form.when === w ? 'on' : ''}`}>
              <input type="radio" name="when" value={w} checked={form.when === w} onChange={() => update({ when: w })} />
              {t(`announcement.when_${w}`)}
            </label>
          ))}
        </div>
        {form.when === 'later' && (
          <Field label={t('announcement.send_at')} hint={t('announcement.send_at_hint')}>
            <input name="send_at" type="datetime-local" required value={form.send_at} onInput={(e) => update({ send_at: e.currentTarget.value })} />
          </Field>
        )}
        <div>
          <button class="primary" disabled={busy}>
            {form.when === 'later' ? t('announcement.schedule') : t('announcement.publish')}
          </button>
        </div>
        <ErrorBox error={error} />
      </form>
    </Section>
  );
}

export function Announcements({ who }: { who: Claims }) {
  const project = currentProject();
  const list = useAsync(
    () => (project ? listAll<Announcement>(`/v1/projects/${enc(project)}/announcements`, 'announcements', {}, 500) : Promise.resolve([])),
    [project],
  );
  const [posted, setPosted] = useState<Announcement | null>(null);
  if (!project) return <div class="error">{t('common.no_project')}</div>;
  return (
    <>
      {POST_ANNOUNCEMENT_ROLES.includes(who.role) && (
        <PostForm
          project={project}
          onPosted={(a) => {
            setPosted(a);
            list.reload();
          }}
        />
      )}
      {posted && (
        <Notice>
          {posted.status === 'scheduled'
            ? t('announcement.scheduled_notice', { title: posted.title, at: formatDateTime(posted.send_at), n: posted.recipients ?? 0 })
            : t('announcement.sent_notice', { title: posted.title, n: posted.recipients ?? 0 })}
        </Notice>
      )}
      <Section
        title={t('nav.announcements')}
        actions={
          <button type="button" data-testid="announcements-refresh" onClick={list.reload}>
            {t('common.refresh')}
          </button>
        }
      >
        <ErrorBox error={list.error} />
        <Loading when={list.loading && !list.data} />
        {list.data && list.data.length === 0 && <Empty text={t('announcement.none')} />}
        {list.data && list.data.length > 0 && (
          <table class="table" data-testid="announcements">
            <thead>
              <tr>
                <th>{t('announcement.title')}</th>
                <th>{t('incident.buildings')}</th>
                <th>{t('field.status')}</th>
                <th>{t('announcement.time')}</th>
                <th>{t('announcement.recipients')}</th>
                <th>{t('announcement.read')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((a) => (
                <tr data-testid="announcement-row" data-id={a.announcement_id} data-status={a.status}>
                  <td>
                    {a.urgent && <span class="badge urgent">{t('announcement.urgent')}</span>}
                    <strong>{a.title}</strong>
                    <div class="meta desc">{a.body}</div>
                  </td>
                  <td>{scopeText(a.buildings)}</td>
                  <td>
                    <Badge group="announcement" value={a.status} />
                  </td>
                  <td>
                    {formatDateTime(a.sent_at || a.send_at || a.created_at)}
                    {a.posted_by ? <div class="meta">{a.posted_by}</div> : null}
                  </td>
                  <td class="num" data-testid="recipients">
                    {a.recipients ?? 0}
                  </td>
                  <td class="num" data-testid="read-count">
                    {a.read_count ?? 0}/{a.recipients ?? 0}
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

// The owner's 小区公告: the sent announcements and open incidents of the projects of their homes.
export function OwnerNotices({ who }: { who: Claims }) {
  const units = useOwnerUnits(who);
  const projects = units.data
    ? [...new Set(units.data.map((u) => u.project_id).filter((p): p is string => !!p))]
    : [];
  const fallback = who.projects.filter((p) => p !== '*');
  const scope = projects.length ? projects : units.data ? fallback : [];
  const key = scope.join(',');
  const list = useAsync(
    () =>
      Promise.all(scope.map((p) => api<{ announcements?: Announcement[] }>('GET', `/v1/projects/${enc(p)}/announcements`).then((r) => r.announcements ?? []))).then((l) => ({
        key,
        items: l.flat().sort((a, b) => (b.sent_at ?? '').localeCompare(a.sent_at ?? '')),
      })),
    [key],
  );
  // Ready once the owner's homes are known and the list of exactly those projects arrived.
  const ready = !!units.data && list.data?.key === key;
  const items = ready ? (list.data?.items ?? []) : [];
  return (
    <>
      <Section
        title={t('nav.notices')}
        actions={
          <button type="button" data-testid="notices-refresh" onClick={list.reload}>
            {t('common.refresh')}
          </button>
        }
      >
        <ErrorBox error={units.error ?? list.error} />
        <Loading when={!ready && !list.error} />
        {ready && items.length === 0 && <Empty text={t('notices.none')} />}
        <ul class="message-list" data-testid="owner-announcements" data-ready={ready ? 'yes' : 'no'}>
          {items.map((a) => (
            <li class={`card inner ${a.urgent ? 'urgent-card' : ''}`} data-testid="owner-announcement" data-id={a.announcement_id}>
              <div class="row">
                <strong>{a.title}</strong>
                {a.urgent && <span class="badge urgent">{t('announcement.urgent')}</span>}
              </div>
              <div class="desc">{a.body}</div>
              <div class="meta">
                {scopeText(a.buildings)} · {formatDateTime(a.sent_at)}
              </div>
            </li>
          ))}
        </ul>
      </Section>
      {units.data && scope.length > 0 && <OwnerIncidents projects={scope} />}
    </>
  );
}
