// The Host over Tauri commands (src-tauri/src/main.rs). Each method is one `invoke`.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { open, save } from '@tauri-apps/plugin-dialog';
import { openUrl } from '@tauri-apps/plugin-opener';
import type {
  Block, BookletDef, BookletInfo, Choice, CityFilter, CitySubmissions, CitySummary, DecisionRequest, Draft, FieldDiff, Host, OutboxEntry, Partner,
  BookletLang, PdfExport, PrintRequest, Portrait, PortraitView, Preview, QuarantineEntry, RestoreProgress, MenuLabels, SavedDraft, SearchHit, SearchQuery, Settings, SortBy, SubmissionDetail,
  SubmissionStatus, SubmissionSummary, Submitted, SyncRequest, SyncStatus, TableQueued, TableReport, StaffToken, TokenSummary, InviteReport,
} from './host';

export class TauriHost implements Host {
  readonly kind = 'tauri' as const;
  listCities(filter: CityFilter, sort: SortBy) { return invoke<CitySummary[]>('list_cities', { filter, sort }); }
  search(query: SearchQuery) { return invoke<SearchHit[]>('search', { query }); }
  showCity(cityId: string, version?: number) { return invoke<PortraitView>('show_city', { cityId, version: version ?? null }); }
  versionDiff(cityId: string, from: number, to: number) { return invoke<FieldDiff[]>('version_diff', { cityId, from, to }); }
  partners(cityId: string, limit: number) { return invoke<Partner[]>('partners', { cityId, limit, region: null }); }
  renderMarkdown(text: string) { return invoke<Block[]>('render_markdown', { text }); }
  getDraft(cityId: string) { return invoke<Draft | null>('get_draft', { cityId }); }
  saveDraft(cityId: string, portrait: Portrait, revision: number | null, typed: Record<string, string> = {}) { return invoke<SavedDraft>('save_draft', { cityId, portrait, revision, typed }); }
  resolveConflict(cityId: string, field: string, choice: Choice) { return invoke<Draft>('resolve_conflict', { cityId, field, choice }); }
  discardDraft(cityId: string) { return invoke<boolean>('discard_draft', { cityId }); }
  async pickPhoto() {
    const path = await open({ multiple: false, directory: false, filters: [{ name: 'Photos', extensions: ['jpg', 'jpeg', 'png'] }] });
    if (!path || Array.isArray(path)) return null;
    return invoke<{ sha256: string; mime: string }>('add_photo', { path });
  }
  submit(cityId: string, note: string | null = null) { return invoke<Submitted>('submit', { cityId, note }); }
  outbox() { return invoke<OutboxEntry[]>('outbox'); }
  heldBack() { return invoke<QuarantineEntry[]>('held_back'); }
  submissions(cityId: string) { return invoke<CitySubmissions>('submissions', { cityId }); }
  reviewList(statuses: SubmissionStatus[]) { return invoke<SubmissionSummary[]>('review_list', { statuses }); }
  reviewShow(id: string) { return invoke<SubmissionDetail>('review_show', { id }); }
  reviewDecide(id: string, decision: DecisionRequest) { return invoke<SubmissionSummary>('review_decide', { id, decision }); }
  booklets() { return invoke<BookletInfo[]>('booklets'); }
  saveBooklet(booklet: BookletDef, isNew: boolean) { return invoke<BookletDef>('save_booklet', { booklet, new: isNew }); }
  duplicateBooklet(id: string) { return invoke<BookletInfo>('duplicate_booklet', { id }); }
  deleteBooklet(id: string) { return invoke<void>('delete_booklet', { id }); }
  previewBooklet(booklet: BookletDef, maxPages: number, lang: BookletLang = 'en') { return invoke<Preview>('preview_booklet', { booklet, maxPages, lang }); }
  async exportBooklet(booklet: BookletDef, onProgress: (page: number, pages: number) => void, print: PrintRequest | null = null, lang: BookletLang = 'en') {
    const dir = await invoke<string | null>('dialog_dir');
    const name = `${booklet.id}${lang === 'en' ? '' : `-${lang}`}${print ? '-print' : ''}.pdf`;
    const path = dir ? `${dir}/${name}` : await save({ defaultPath: name, filters: [{ name: 'PDF', extensions: ['pdf'] }] });
    if (!path) return null;
    const unlisten = await listen<{ page: number; pages: number }>('export-progress', (e) => onProgress(e.payload.page, e.payload.pages));
    try {
      return await invoke<PdfExport>('export_booklet', { booklet, path, print, lang });
    } finally {
      unlisten();
    }
  }
  openExport(path: string, reveal: boolean) { return invoke<void>('open_export', { path, reveal }); }
  openUrl(url: string) { return openUrl(url); }
  getSettings() { return invoke<Settings>('get_settings'); }
  setSettings(feedUrl: string | null, syncMinutes: number) { return invoke<Settings>('set_settings', { feedUrl, syncMinutes }); }
  signIn(token: string) { return invoke<Settings>('sign_in', { token }); }
  signOut() { return invoke<Settings>('sign_out'); }
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
  async saveTableTemplate() {
    const dir = await invoke<string | null>('dialog_dir');
    const path = dir ? `${dir}/member-list-template.xlsx` : await save({ defaultPath: 'member-list-template.xlsx', filters: [{ name: 'Excel', extensions: ['xlsx'] }] });
    if (!path) return null;
    await invoke('write_table_template', { path });
    return path;
  }
  async pickTable() {
    const dir = await invoke<string | null>('dialog_dir');
    if (dir) return `${dir}/member-list.csv`;
    const path = await open({ multiple: false, directory: false, filters: [{ name: 'Spreadsheets', extensions: ['csv', 'xlsx', 'xls', 'ods', 'txt', 'tsv'] }] });
    return !path || Array.isArray(path) ? null : path;
  }
  async previewTable(path: string, onProgress: (rows: number, of: number) => void) {
    const unlisten = await listen<{ rows: number; of: number }>('table-progress', (e) => onProgress(e.payload.rows, e.payload.of));
    try {
      return await invoke<TableReport>('preview_table', { path });
    } finally {
      unlisten();
    }
  }
  sendTable(path: string, planSha256: string) { return invoke<TableQueued>('send_table', { path, planSha256 }); }
  staffTokens() { return invoke<StaffToken[]>('staff_tokens'); }
  revokeToken(id: string) { return invoke<TokenSummary>('staff_revoke_token', { id }); }
  async invite(cities: string[]) {
    const dir = await invoke<string | null>('dialog_dir');
    const folder = dir ? `${dir}/invitations` : await open({ multiple: false, directory: true });
    if (!folder || Array.isArray(folder)) return null;
    return invoke<InviteReport>('staff_invite', { cities, dir: folder });
  }
  setMenuLabels(labels: MenuLabels, title: string) { return invoke<void>('set_menu_labels', { labels, title }); }
  async restore(onProgress?: (progress: RestoreProgress) => void) {
    const dir = await invoke<string | null>('dialog_dir');
    const path = dir ? `${dir}/portraits-backup.sqlite3` : await open({ multiple: false, filters: [{ name: 'SQLite', extensions: ['sqlite3'] }] });
    if (!path || Array.isArray(path)) return null;
    const unlisten = await listen<RestoreProgress>('restore-progress', (e) => onProgress?.(e.payload));
    try {
      await invoke('restore', { path });
    } finally {
      unlisten();
    }
    return path;
  }
}
