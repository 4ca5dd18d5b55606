// Shared pieces: data loading, drafts that survive errors and re-login, error and status display.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from './errors';
import { label, lang, t } from './i18n';
import { navigate } from './router';
import { claims } from './session';
import { ticketSla, type SlaTicket } from './sla';

export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const reload = useCallback(() => {
    const mine = ++seq.current;
    setLoading(true);
    fn().then(
      (v) => {
        if (mine !== seq.current) return;
        setData(v);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (mine !== seq.current) return;
        setError(e);
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(reload, [reload]);
  return { data, error, loading, reload, setData };
}

// Form state mirrored in sessionStorage: what the user typed survives an API error, a reload and
// signing in again; `clear` after a success.
// `initial` may be a function, called again by `clear` (fresh idempotency keys per submission).
export function useDraft<T extends object>(key: string, initial: T | (() => T)): [T, (patch: Partial<T>) => void, () => void] {
  const storageKey = `aftercare.draft.${claims()?.sub ?? ''}.${key}`;
  const fresh = () => (typeof initial === 'function' ? (initial as () => T)() : initial);
  const [value, setValue] = useState<T>(() => {
    try {
      const saved = sessionStorage.getItem(storageKey);
      if (saved) return { ...fresh(), ...JSON.parse(saved) };
    } catch {
      /* ignore */
    }
    return fresh();
  });
  const update = useCallback(
    (patch: Partial<T>) =>
      setValue((old) => {
        const next = { ...old, ...patch };
        try {
          sessionStorage.setItem(storageKey, JSON.stringify(next));
        } catch {
          /* quota: keep it in memory */
        }
        return next;
      }),
    [storageKey],
  );
  const clear = useCallback(() => {
    sessionStorage.removeItem(storageKey);
    setValue(fresh());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [storageKey]);
  return [value, update, clear];
}

export function useNow(everyMs = 30000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

// Runs an action with a busy flag and its error; the form's fields are untouched either way.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const status = (error as { status?: number }).status;
  return (
    <div class="error" role="alert" data-testid="error">
      {errorMessage(error, lang())}
      {status === 401 && (
        <>
          {' '}
          <a href="/login" onClick={(e) => (e.preventDefault(), navigate('/login'))}>
            {t('auth.sign_in_again')}
          </a>
        </>
      )}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice" role="status" data-testid="notice">
      {children}
    </div>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? <div class="loading">{t('common.loading')}</div> : null;
}

export function Badge({ group, value }: { group: string; value?: string }) {
  return <span class={`badge ${group}-${value ?? ''}`}>{label(group, value)}</span>;
}

export function SlaPill({ ticket, now }: { ticket: SlaTicket; now: number }) {
  const s = ticketSla(ticket, now, lang());
  return (
    <span class={`sla sla-${s.state}`} data-testid="sla" title={s.deadline ?? ''}>
      {s.text}
    </span>
  );
}

export function Field({ label: text, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span class="field-label">{text}</span>
      {children}
      {hint && <span class="hint">{hint}</span>}
    </label>
  );
}

export function Link({ to, children, class: cls }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={to}
      class={cls}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      <div class="card-head">
        <h2>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export function Empty({ text }: { text?: string }) {
  return <div class="empty">{text ?? t('common.empty')}</div>;
}
