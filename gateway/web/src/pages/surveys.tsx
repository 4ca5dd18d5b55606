// Survey campaigns (issue 20): the supervisor starts one for the project or some buildings and
// follows its satisfaction index; the owner answers their questionnaires (1-5).
import { useState } from 'preact/hooks';
import { api, enc, newKey } from '../api';
import { formatDateTime, formatRate, type Ratio } from '../format';
import { label, t } from '../i18n';
import { currentProject, type Claims } from '../session';
import { Badge, Empty, ErrorBox, Field, Loading, Notice, Section, useAction, useAsync, useDraft } from '../ui';

interface Campaign {
  campaign_id: string;
  kind: string;
  title: string;
  buildings?: string[];
  recipients?: number | string;
  answered?: number | string;
  satisfaction_index?: Ratio;
  by_building?: { building: string; recipients?: number | string; answered?: number | string; satisfaction_index?: Ratio }[];
  created_at: string;
}
interface OwnerSurvey {
  campaign_id: string;
  title: string;
  kind: string;
  status: string;
  score?: number;
  created_at: string;
}

export function SurveyCampaigns({ who }: { who: Claims }) {
  const project = currentProject();
  const list = useAsync(
    () => (project ? api<{ campaigns?: Campaign[] }>('GET', `/v1/projects/${enc(project)}/survey-campaigns`) : Promise.resolve({ campaigns: [] })),
    [project],
  );
  const [form, update, clear] = useDraft(`survey-${project}`, () => ({ kind: 'quarterly_satisfaction', title: '', buildings: '', key: newKey() }));
  const { busy, error, run } = useAction();
  const [started, setStarted] = useState<Campaign | null>(null);
  const canStart = ['supervisor', 'admin'].includes(who.role);
  const start = async (e: Event) => {
    e.preventDefault();
    const buildings = form.buildings
      .split(/[,，\s]+/)
      .map((b) => b.trim())
      .filter(Boolean);
    const out = await run(() =>
      api<Campaign>('POST', `/v1/projects/${enc(project)}/survey-campaigns`, { kind: form.kind, title: form.title, buildings }, { idempotencyKey: form.key }),
    );
    if (out) {
      setStarted(out);
      clear();
      list.reload();
    }
  };
  if (!project) return <div class="error">{t('common.no_project')}</div>;
  return (
    <>
      {canStart && (
        <Section title={t('survey.start')}>
          <form class="form inline-form" data-testid="survey-form" onSubmit={start}>
            <Field label={t('survey.kind')}>
              <select name="kind" value={form.kind} onChange={(e) => update({ kind: e.currentTarget.value })}>
                {['quarterly_satisfaction', 'home_visit'].map((k) => (
                  <option value={k}>{label('survey_kind', k)}</option>
                ))}
              </select>
            </Field>
            <Field label={t('survey.title')}>
              <input name="title" required maxLength={100} value={form.title} onInput={(e) => update({ title: e.currentTarget.value })} />
            </Field>
            <Field label={t('survey.buildings')} hint={t('survey.buildings_hint')}>
              <input name="buildings" value={form.buildings} onInput={(e) => update({ buildings: e.currentTarget.value })} />
            </Field>
            <button class="primary" disabled={busy}>
              {t('survey.start')}
            </button>
          </form>
          <ErrorBox error={error} />
          {started && <Notice>{t('survey.started', { n: Number(started.recipients ?? 0) })}</Notice>}
        </Section>
      )}
      <Section title={t('nav.surveys')}>
        <ErrorBox error={list.error} />
        <Loading when={list.loading && !list.data} />
        {list.data && (list.data.campaigns ?? []).length === 0 && <Empty />}
        <table class="table" data-testid="survey-campaigns">
          <tbody>
            {(list.data?.campaigns ?? []).map((c) => (
              <tr>
                <td>{formatDateTime(c.created_at)}</td>
                <td>
                  {c.title} · {label('survey_kind', c.kind)}
                </td>
                <td>{(c.buildings ?? []).join('、') || t('survey.whole_project')}</td>
                <td class="num">
                  {c.answered ?? 0}/{c.recipients ?? 0}
                </td>
                <td class="num">{formatRate(c.satisfaction_index)}</td>
                <td>{(c.by_building ?? []).map((b) => `${b.building} ${formatRate(b.satisfaction_index)}`).join(' · ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}

function AnswerForm({ who, survey, onDone }: { who: Claims; survey: OwnerSurvey; onDone: () => void }) {
  const [comment, setComment] = useState('');
  const { busy, error, run } = useAction();
  const answer = async (score: number) => {
    const out = await run(() => api('POST', `/v1/survey-campaigns/${enc(survey.campaign_id)}/answers`, { owner_id: who.sub, score, comment }));
    if (out) onDone();
  };
  return (
    <div class="survey-answer">
      <input aria-label={t('survey.comment')} placeholder={t('survey.comment')} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      <div class="stars">
        {[1, 2, 3, 4, 5].map((s) => (
          <button type="button" data-testid={`score-${s}`} disabled={busy} onClick={() => answer(s)}>
            {'★'.repeat(s)}
          </button>
        ))}
      </div>
      <ErrorBox error={error} />
    </div>
  );
}

export function OwnerSurveys({ who }: { who: Claims }) {
  const list = useAsync(() => api<{ surveys?: OwnerSurvey[] }>('GET', `/v1/owners/${enc(who.sub)}/surveys`), [who.sub]);
  return (
    <Section title={t('survey.mine')}>
      <ErrorBox error={list.error} />
      {list.data && (list.data.surveys ?? []).length === 0 && <Empty />}
      <ul class="message-list" data-testid="owner-surveys">
        {(list.data?.surveys ?? []).map((s) => (
          <li class="card inner">
            <div class="row">
              <strong>{s.title}</strong>
              <Badge group="survey" value={s.status} />
            </div>
            {s.status === 'pending' ? <AnswerForm who={who} survey={s} onDone={list.reload} /> : <div class="meta">{'★'.repeat(s.score ?? 0)}</div>}
          </li>
        ))}
      </ul>
    </Section>
  );
}
