// The signed-in user: the bearer token and its claims (DESIGN.md: sub, role, projects, units,
// party_id, exp), kept in localStorage; and the project a staff member is working on.
export interface Claims {
  sub: string;
  role: string;
  projects: string[];
  units: string[];
  party_id?: string;
  exp: number;
}

const TOKEN_KEY = 'aftercare.token';
const PROJECT_KEY = 'aftercare.project';

export function decodeClaims(token: string): Claims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) =>
      c.charCodeAt(0),
    );
    const c = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof c.sub !== 'string' || typeof c.role !== 'string') return null;
    return {
      sub: c.sub,
      role: c.role,
      projects: Array.isArray(c.projects) ? c.projects : [],
      units: Array.isArray(c.units) ? c.units : [],
      party_id: c.party_id,
      exp: Number(c.exp) || 0,
    };
  } catch {
    return null;
  }
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}
export function claims(): Claims | null {
  const tok = token();
  const c = tok ? decodeClaims(tok) : null;
  if (!c || c.exp * 1000 <= Date.now()) return null;
  return c;
}
export function signIn(tok: string): Claims | null {
  const c = decodeClaims(tok);
  if (!c) return null;
  localStorage.setItem(TOKEN_KEY, tok);
  return c;
}
export function signOut(): void {
  localStorage.removeItem(TOKEN_KEY);
}

// The project a staff member works on: the chosen one if the token still allows it, else the
// token's first project.
export function currentProject(): string {
  const c = claims();
  const saved = localStorage.getItem(PROJECT_KEY) ?? '';
  if (!c) return saved;
  if (saved && (c.projects.includes(saved) || c.projects.includes('*'))) return saved;
  return c.projects.find((p) => p !== '*') ?? saved;
}
export function setProject(p: string): void {
  localStorage.setItem(PROJECT_KEY, p);
}
