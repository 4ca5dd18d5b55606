// Sign-in. On the local stack the gateway mints a token for any role (POST /v1/dev/login, only
// when AFTERCARE_DEV_LOGIN=1); anywhere else the user pastes a token from the company's sign-in.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ApiError } from '../errors';
import { t, label } from '../i18n';
import { navigate } from '../router';
import { signIn } from '../session';
import { ErrorBox, Field, useAction, useDraft } from '../ui';
import { homeOf } from '../app';

const ROLES = ['owner', 'agent', 'dispatcher', 'supervisor', 'finance', 'verifier', 'crew', 'contractor', 'builder', 'admin', 'hq'];
const split = (s: string) =>
  s
    .split(/[\s,，]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function LoginPage() {
  const [form, update] = useDraft('login', { role: 'owner', sub: '', projects: '', units: '', party_id: '' });
  const [pasted, setPasted] = useState('');
  const [disabled, setDisabled] = useState(false);
  const { busy, error, run, setError } = useAction();

  const finish = (tok: string) => {
    const c = signIn(tok);
    if (!c) {
      setError(new ApiError(400, 'invalid_argument', t('auth.bad_token')));
      return;
    }
    navigate(homeOf(c.role));
  };

  const devLogin = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { role: form.role, sub: form.sub.trim(), projects: split(form.projects) };
    if (form.role === 'owner') body.units = split(form.units);
    if (['builder', 'crew', 'contractor'].includes(form.role)) body.party_id = form.party_id.trim();
    const out = await run(async () => {
      try {
        return await api<{ token: string }>('POST', '/v1/dev/login', body);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) setDisabled(true);
        throw err;
      }
    });
    if (out?.token) finish(out.token);
  };

  return (
    <div class="login">
      <section class="card">
        <h1>{t('auth.dev_title')}</h1>
        <p class="hint">{t('auth.dev_hint')}</p>
        {disabled && (
          <div class="error" role="alert" data-testid="dev-login-disabled">
            {t('auth.dev_disabled')}
          </div>
        )}
        <form onSubmit={devLogin} data-testid="dev-login">
          <Field label={t('auth.role')}>
            <select name="role" value={form.role} onChange={(e) => update({ role: e.currentTarget.value })}>
              {ROLES.map((r) => (
                <option value={r}>
                  {label('role', r)} ({r})
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('auth.sub')} hint={t('auth.sub_hint')}>
            <input name="sub" required value={form.sub} onInput={(e) => update({ sub: e.currentTarget.value })} />
          </Field>
          <Field label={t('auth.projects')} hint={t('auth.list_hint')}>
            <input name="projects" value={form.projects} onInput={(e) => update({ projects: e.currentTarget.value })} />
          </Field>
          {form.role === 'owner' && (
            <Field label={t('auth.units')} hint={t('auth.list_hint')}>
              <input name="units" value={form.units} onInput={(e) => update({ units: e.currentTarget.value })} />
            </Field>
          )}
          {['builder', 'crew', 'contractor'].includes(form.role) && (
            <Field label={t('auth.party_id')}>
              <input name="party_id" value={form.party_id} onInput={(e) => update({ party_id: e.currentTarget.value })} />
            </Field>
          )}
          <ErrorBox error={error} />
          <button type="submit" class="primary" disabled={busy}>
            {t('auth.sign_in')}
          </button>
        </form>
      </section>
      <section class="card">
        <h2>{t('auth.paste_title')}</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            finish(pasted.trim());
          }}
        >
          <Field label={t('auth.token')}>
            <textarea name="token" rows={3} value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} />
          </Field>
          <button type="submit">{t('auth.use_token')}</button>
        </form>
      </section>
    </div>
  );
}
