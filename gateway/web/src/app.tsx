// The shell: who is signed in, the navigation of their role, the language switch, the routes.
import { useEffect, useState } from 'preact/hooks';
import { lang, onLangChange, setLang, t, label } from './i18n';
import { match, navigate, usePath } from './router';
import { claims, currentProject, setProject, signOut, type Claims } from './session';
import { Link } from './ui';
import { LoginPage } from './pages/login';
import { OwnerReport, OwnerTickets, OwnerPoints, OwnerInvoices } from './pages/owner';
import { TicketDetail } from './pages/ticket';
import { OwnerMessages } from './pages/messages';
import { HandoverDesk } from './pages/handover';
import { SurveyCampaigns } from './pages/surveys';
import { AgentIntake, AgentQueue, AgentCallbacks } from './pages/agent';
import { DispatchBoard, DispatchCalendar } from './pages/dispatch';
import { KpiReport, Arrears, BillingRuns, Settlements, Chargebacks } from './pages/finance';
import { HqDashboard, TargetsView } from './pages/targets';
import { IncidentPage, Incidents } from './pages/incidents';
import { Announcements, OwnerNotices } from './pages/announcements';

interface NavItem {
  path: string;
  key: string;
  roles: string[];
}
const STAFF_TICKETS = ['agent', 'supervisor', 'admin'];
export const NAV: NavItem[] = [
  { path: '/owner/report', key: 'nav.report_issue', roles: ['owner'] },
  { path: '/owner/tickets', key: 'nav.my_tickets', roles: ['owner'] },
  { path: '/owner/points', key: 'nav.points', roles: ['owner'] },
  { path: '/owner/invoices', key: 'nav.invoices', roles: ['owner'] },
  { path: '/owner/messages', key: 'nav.messages', roles: ['owner'] },
  { path: '/owner/notices', key: 'nav.notices', roles: ['owner'] },
  { path: '/agent/intake', key: 'nav.intake', roles: ['agent', 'supervisor', 'admin'] },
  { path: '/agent/queue', key: 'nav.queue', roles: [...STAFF_TICKETS, 'dispatcher'] },
  { path: '/agent/callbacks', key: 'nav.callbacks', roles: STAFF_TICKETS },
  { path: '/agent/handover', key: 'nav.handover', roles: ['agent', 'verifier', 'supervisor', 'admin'] },
  { path: '/dispatch/board', key: 'nav.board', roles: ['dispatcher', 'supervisor', 'admin'] },
  { path: '/dispatch/calendar', key: 'nav.calendar', roles: ['dispatcher', 'supervisor', 'admin'] },
  // issue 23: incidents (staff who open or resolve them) and announcements (staff who post them)
  { path: '/agent/incidents', key: 'nav.incidents', roles: ['agent', 'dispatcher', 'supervisor', 'admin'] },
  { path: '/agent/announcements', key: 'nav.announcements', roles: ['agent', 'supervisor', 'admin'] },
  // issue 20: the group view (hq reads, admin too) and the targets with their alerts
  { path: '/hq/dashboard', key: 'nav.hq', roles: ['hq', 'admin'] },
  { path: '/reports/kpi', key: 'nav.kpi', roles: ['supervisor', 'finance', 'admin'] },
  { path: '/reports/targets', key: 'nav.targets', roles: ['supervisor', 'admin', 'hq'] },
  { path: '/reports/surveys', key: 'nav.surveys', roles: ['agent', 'supervisor', 'admin'] },
  { path: '/finance/arrears', key: 'nav.arrears', roles: ['finance', 'admin'] },
  { path: '/finance/billing', key: 'nav.billing', roles: ['finance', 'admin'] },
  { path: '/finance/settlements', key: 'nav.settlements', roles: ['finance', 'admin'] },
  { path: '/finance/chargebacks', key: 'nav.chargebacks', roles: ['finance', 'admin'] },
];

const HOME: Record<string, string> = {
  owner: '/owner/report',
  agent: '/agent/intake',
  dispatcher: '/dispatch/board',
  supervisor: '/reports/kpi',
  finance: '/reports/kpi',
  admin: '/agent/queue',
  hq: '/hq/dashboard',
};
export function homeOf(role: string): string {
  return HOME[role] ?? NAV.find((n) => n.roles.includes(role))?.path ?? '/login';
}

function Page({ path, who }: { path: string; who: Claims }) {
  const m = match('/tickets/:id', path);
  if (m) return <TicketDetail id={m.id} who={who} />;
  const inc = match('/incidents/:id', path);
  if (inc) return <IncidentPage id={inc.id} who={who} />;
  switch (path) {
    case '/owner/report':
      return <OwnerReport who={who} />;
    case '/owner/tickets':
      return <OwnerTickets who={who} />;
    case '/owner/points':
      return <OwnerPoints who={who} />;
    case '/owner/invoices':
      return <OwnerInvoices who={who} />;
    case '/owner/messages':
      return <OwnerMessages who={who} />;
    case '/owner/notices':
      return <OwnerNotices who={who} />;
    case '/agent/intake':
      return <AgentIntake who={who} />;
    case '/agent/queue':
      return <AgentQueue who={who} />;
    case '/agent/callbacks':
      return <AgentCallbacks who={who} />;
    case '/agent/handover':
      return <HandoverDesk who={who} />;
    case '/dispatch/board':
      return <DispatchBoard who={who} />;
    case '/dispatch/calendar':
      return <DispatchCalendar who={who} />;
    case '/reports/surveys':
      return <SurveyCampaigns who={who} />;
    case '/reports/kpi':
      return <KpiReport who={who} />;
    case '/reports/targets':
      return <TargetsView who={who} />;
    case '/hq/dashboard':
      return <HqDashboard who={who} />;
    case '/agent/incidents':
      return <Incidents who={who} />;
    case '/agent/announcements':
      return <Announcements who={who} />;
    case '/finance/arrears':
      return <Arrears who={who} />;
    case '/finance/billing':
      return <BillingRuns who={who} />;
    case '/finance/settlements':
      return <Settlements who={who} />;
    case '/finance/chargebacks':
      return <Chargebacks who={who} />;
    default:
      return (
        <div class="card">
          <h2>{t('common.not_found_page')}</h2>
          <Link to={homeOf(who.role)}>{t('common.home')}</Link>
        </div>
      );
  }
}

function ProjectPicker({ who, onChange }: { who: Claims; onChange: () => void }) {
  const projects = who.projects.filter((p) => p !== '*');
  const [value, setValue] = useState(currentProject());
  if (who.role === 'owner') return null;
  const commit = (p: string) => {
    setValue(p);
    setProject(p);
    onChange();
  };
  if (projects.length > 1 && !who.projects.includes('*'))
    return (
      <select aria-label={t('common.project')} value={value} onChange={(e) => commit(e.currentTarget.value)}>
        {projects.map((p) => (
          <option value={p}>{p}</option>
        ))}
      </select>
    );
  if (who.projects.includes('*'))
    return (
      <input
        class="project-input"
        aria-label={t('common.project')}
        placeholder={t('common.project')}
        value={value}
        onChange={(e) => commit(e.currentTarget.value.trim())}
      />
    );
  return <span class="project-name">{value}</span>;
}

export function App() {
  const path = usePath();
  const [, setLangState] = useState(lang());
  const [projectRev, setProjectRev] = useState(0);
  useEffect(() => onLangChange(setLangState), []);
  const who = claims();

  useEffect(() => {
    if (!who && path !== '/login') navigate('/login', true);
    else if (who && path === '/') navigate(homeOf(who.role), true);
  }, [who?.sub, who?.role, path]);

  const langSwitch = (
    <button
      class="lang"
      data-testid="lang-switch"
      onClick={() => setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN')}
      title="中文 / English"
    >
      {lang() === 'zh-CN' ? 'EN' : '中文'}
    </button>
  );

  if (!who || path === '/login')
    return (
      <div class="shell">
        <header class="top">
          <span class="brand">{t('app.name')}</span>
          <span class="spacer" />
          {langSwitch}
        </header>
        <main>
          <LoginPage />
        </main>
      </div>
    );

  const items = NAV.filter((n) => n.roles.includes(who.role));
  return (
    <div class={`shell role-${who.role}`}>
      <header class="top">
        <span class="brand">{t('app.name')}</span>
        {/* keyed by the path: a page may choose the project (the HQ ranking opens a project's targets) */}
        <ProjectPicker key={path} who={who} onChange={() => setProjectRev((r) => r + 1)} />
        <span class="spacer" />
        <span class="who" data-testid="who">
          {label('role', who.role)} · {who.sub}
        </span>
        {langSwitch}
        <button
          class="link-button"
          onClick={() => {
            signOut();
            navigate('/login');
          }}
        >
          {t('auth.sign_out')}
        </button>
      </header>
      <nav class="tabs">
        {items.map((n) => (
          <Link to={n.path} class={path === n.path ? 'active' : ''}>
            {t(n.key)}
          </Link>
        ))}
      </nav>
      <main key={projectRev}>
        <Page path={path} who={who} />
      </main>
    </div>
  );
}
