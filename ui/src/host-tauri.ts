// The Host over Tauri commands (src-tauri/src/main.rs). Each method is one `invoke`.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { open, save } from '@tauri-apps/plugin-dialog';
import { openUrl } from '@tauri-apps/plugin-opener';
import type { QuarantineEntry, Host, SyncRequest, SyncStatus } from './host';

export class TauriHost implements Host {
  readonly kind = 'tauri' as const;
  listCities(filter: any, sort: any) { return invoke<any>('list_cities', { filter, sort }); }
  search(query: any) { return invoke<any>('search', { query }); }
  showCity(cityId: string, version?: number) { return invoke<any>('show_city', { cityId, version: version ?? null }); }
  versionDiff(cityId: string, from: number, to: number) { return invoke<any>('version_diff', { cityId, from, to }); }
  renderMarkdown(text: string) { return invoke<any>('render_markdown', { text }); }
  getDraft(cityId: string) { return invoke<any>('get_draft', { cityId }); }
  saveDraft(cityId: string, portrait: any, revision: number | null) { return invoke<any>('save_draft', { cityId, portrait, revision }); }
  resolveConflict(cityId: string, field: string, choice: string) { return invoke<any>('resolve_conflict', { cityId, field, choice }); }
  discardDraft(cityId: string) { return invoke<boolean>('discard_draft', { cityId }); }
  async pickPhoto() {
    const path = await open({ multiple: false, directory: false, filters: [{ name: 'Photos', extensions: ['jpg', 'jpeg', 'png'] }] });
    if (!path || Array.isArray(path)) return null;
    return invoke<{ sha256: string; mime: string }>('add_photo', { path });
  }
  submit(cityId: string) { return invoke<any>('submit', { cityId }); }
  outbox() { return invoke<any>('outbox'); }
  heldBack() { return invoke<QuarantineEntry[]>('held_back'); }
  submissions(cityId: string) { return invoke<any>('submissions', { cityId }); }
  review(method: 'GET' | 'POST', path: string, body?: unknown) { return invoke<any>('review', { method, path, body: body ?? null }); }
  booklets() { return invoke<any>('booklets'); }
  saveBooklet(booklet: any) { return invoke<any>('save_booklet', { booklet }); }
  previewBooklet(booklet: any, maxPages: number) { return invoke<any>('preview_booklet', { booklet, maxPages }); }
  async exportBooklet(booklet: any, onProgress: (page: number, pages: number) => void) {
    const dir = await invoke<string | null>('dialog_dir');
    const path = dir ? `${dir}/${booklet.id}.pdf` : await save({ defaultPath: `${booklet.id}.pdf`, filters: [{ name: 'PDF', extensions: ['pdf'] }] });
    if (!path) return null;
    const unlisten = await listen<{ page: number; pages: number }>('export-progress', (e) => onProgress(e.payload.page, e.payload.pages));
    try {
      return await invoke<any>('export_booklet', { booklet, path });
    } finally {
      unlisten();
    }
  }
  openExport(path: string, reveal: boolean) { return invoke<void>('open_export', { path, reveal }); }
  openUrl(url: string) { return openUrl(url); }
  getSettings() { return invoke<any>('get_settings'); }
  setSettings(feedUrl: string | null, syncMinutes: number) { return invoke<any>('set_settings', { feedUrl, syncMinutes }); }
  signIn(token: string) { return invoke<any>('sign_in', { token }); }
  signOut() { return invoke<any>('sign_out'); }
  syncStatus() { return invoke<SyncStatus>('sync_status'); }
  syncNow() { return invoke<SyncRequest>('sync_now'); }
  onSyncStatus(cb: (s: SyncStatus) => void) {
    let stop: (() => void) | null = null;
    let cancelled = false;
    listen<SyncStatus>('sync-status', (e) => cb(e.payload)).then((u) => { if (cancelled) u(); else stop = u; });
    return () => { cancelled = true; stop?.(); };
  }
  onSyncNote(cb: (s: SyncRequest) => void) {
    let stop: (() => void) | null = null;
    let cancelled = false;
    listen<SyncRequest>('sync-note', (e) => cb(e.payload)).then((u) => { if (cancelled) u(); else stop = u; });
    return () => { cancelled = true; stop?.(); };
  }
  onNavigate(cb: (screen: string) => void) {
    let stop: (() => void) | null = null;
    let cancelled = false;
    listen<string>('navigate', (e) => cb(e.payload)).then((u) => { if (cancelled) u(); else stop = u; });
    return () => { cancelled = true; stop?.(); };
  }
  async backup() {
    const dir = await invoke<string | null>('dialog_dir');
    const path = dir ? `${dir}/portraits-backup.sqlite3` : await save({ defaultPath: 'portraits-backup.sqlite3', filters: [{ name: 'SQLite', extensions: ['sqlite3'] }] });
    if (!path) return null;
    await invoke('backup', { path });
    return path;
  }
  async restore(onProgress?: (message: string) => void) {
    const dir = await invoke<string | null>('dialog_dir');
    const path = dir ? `${dir}/portraits-backup.sqlite3` : await open({ multiple: false, filters: [{ name: 'SQLite', extensions: ['sqlite3'] }] });
    if (!path || Array.isArray(path)) return null;
    const unlisten = await listen<{ message: string }>('restore-progress', (e) => onProgress?.(e.payload.message));
    try {
      await invoke('restore', { path });
    } finally {
      unlisten();
    }
    return path;
  }
}
