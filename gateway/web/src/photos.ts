// Photos for a ticket: shrunk in the browser so that the base64 body stays under the gateway's
// 1 MiB limit (phone pictures are several MB), sent as attachments.
import { api, enc } from './api';

export const MAX_PHOTO_BYTES = 700 * 1024;

export interface Photo {
  filename: string;
  content_type: string;
  content: string; // base64
  preview: string; // data URL
  size: number;
  uploaded?: boolean;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function shrink(file: File): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  let scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  for (let attempt = 0; attempt < 6; attempt++) {
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.82));
    if (blob && blob.size <= MAX_PHOTO_BYTES) return blob;
    scale *= 0.7;
  }
  throw new Error('photo too large');
}

export async function preparePhoto(file: File): Promise<Photo> {
  let blob: Blob = file;
  let type = file.type;
  let name = file.name || 'photo.jpg';
  if (!['image/jpeg', 'image/png'].includes(type) || file.size > MAX_PHOTO_BYTES) {
    blob = await shrink(file);
    type = 'image/jpeg';
    name = name.replace(/\.[^.]*$/, '') + '.jpg';
  }
  const content = toBase64(new Uint8Array(await blob.arrayBuffer()));
  return { filename: name, content_type: type, content, preview: `data:${type};base64,${content}`, size: blob.size };
}

export interface Attachment {
  attachment_id: string;
  ticket_id?: string;
  kind?: string;
  filename?: string;
  content_type?: string;
  size_bytes?: number;
  sha256?: string;
  created_at?: string;
  content?: string;
}

export function uploadPhoto(ticketId: string, p: Photo, kind = 'photo_before', key?: string) {
  return api<Attachment>(
    'POST',
    `/v1/tickets/${enc(ticketId)}/attachments`,
    { kind, filename: p.filename, content_type: p.content_type, content: p.content },
    { idempotencyKey: key },
  );
}
