// Vocabulary of DESIGN.md (enum values) and the plain-word pickers built on it.
export const KINDS = ['repair', 'complaint', 'consultation', 'suggestion', 'praise'];
export const CATEGORIES = ['house_quality', 'decoration', 'public_facility', 'other'];
export const COMPONENTS = [
  'roof_waterproofing',
  'bathroom_waterproofing',
  'exterior_wall',
  'plumbing',
  'electrical',
  'heating',
  'gas',
  'door_window',
  'decoration',
  'elevator',
  'fire_safety',
  'structure',
  'other',
];
export const CHANNELS = ['hotline', 'walk_in', 'app', 'web', 'email', 'wechat'];
export const TICKET_STATUSES = ['open', 'dispatched', 'in_progress', 'resolved', 'closed', 'reopened', 'cancelled'];
export const ACTIVE_TICKET = new Set(['open', 'dispatched', 'in_progress', 'reopened']);
export const WO_COLUMNS = ['created', 'accepted', 'scheduled', 'in_progress', 'completed', 'signed_off'];
export const WO_OTHER = ['rerouted', 'declined', 'cancelled'];

// The category a component usually belongs to (DOMAIN §1), pre-selected for the owner.
export function categoryOf(component: string): string {
  switch (component) {
    case 'structure':
    case 'roof_waterproofing':
    case 'bathroom_waterproofing':
    case 'exterior_wall':
    case 'electrical':
    case 'plumbing':
      return 'house_quality';
    case 'decoration':
    case 'door_window':
      return 'decoration';
    case 'elevator':
    case 'fire_safety':
    case 'gas':
    case 'heating':
      return 'public_facility';
    default:
      return 'other';
  }
}

export interface Ticket {
  ticket_id: string;
  ticket_no: string;
  project_id: string;
  unit_id: string;
  kind: string;
  category: string;
  component: string;
  urgency: string;
  channel: string;
  description: string;
  status: string;
  in_warranty: boolean;
  warranty_ends: string;
  reported_at: string;
  response_due: string;
  resolve_due: string;
  responded_at?: string;
  escalation_level: number;
  recurrence: number;
  owner_agent: string;
  owner_id?: string;
  duplicate_of?: string;
  incident_id?: string; // linked to an incident (issue 23): not dispatched on its own
}
export interface WorkOrder {
  work_order_id: string;
  ticket_id: string;
  ticket_no?: string;
  unit_id?: string;
  assignee_kind?: string;
  party_id?: string;
  technician_id?: string;
  status: string;
  appointment?: { start?: string; end?: string };
  deadline?: string;
  estimate_fen?: number;
  cost_fen?: number;
  rework_of?: string;
  quote?: { quote_id?: string; amount_fen?: number; items?: string; status?: string };
  sign_offs?: { signer?: string; signed_by?: string; signed_at?: string; comment?: string }[];
  category?: string;
  component?: string;
  ticket_kind?: string;
  urgency?: string;
  routing_note?: string;
}
export interface Unit {
  unit_id: string;
  project_id?: string;
  building?: string;
  room?: string;
  owner_id?: string;
  owner_name?: string;
  owner_phone?: string;
  owner_phone_masked?: string;
  area_m2?: number;
}
export function unitName(u: Unit | undefined, fallback = ''): string {
  if (!u) return fallback;
  if (u.building || u.room) return `${u.building ?? ''}${u.building && u.room ? ' ' : ''}${u.room ?? ''}`;
  return u.unit_id || fallback;
}
