// The window's language as Svelte state. Paraglide's runtime asks `getLocale()` for the
// language of every message; it is pointed here, so a component that shows a message depends
// on this state and is redrawn when the language changes (Settings › Language), without a
// reload and without losing what is being typed.
//
// The choice is kept on this machine (localStorage of the window). Until one is made, the
// language is the operating system's (the first of navigator.languages that the window speaks),
// else English.

import { overwriteGetLocale, overwriteSetLocale, isLocale } from './paraglide/runtime.js';
import { DEFAULT_LOCALE, pickLocale, type Locale } from './messages';

export const STORAGE_KEY = 'portraits.locale';

function stored(): Locale | null {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    return v && isLocale(v) ? v : null;
  } catch {
    return null;
  }
}

function initial(): Locale {
  const nav = globalThis.navigator;
  return stored() ?? pickLocale(nav ? (nav.languages?.length ? nav.languages : [nav.language]) : []);
}

const state = $state<{ locale: Locale; chosen: boolean }>({ locale: DEFAULT_LOCALE, chosen: false });

function apply(locale: Locale) {
  state.locale = locale;
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

/** Installs the window's language in Paraglide's runtime. Called once, before mounting. */
export function installLocale(): Locale {
  state.chosen = stored() !== null;
  apply(initial());
  overwriteGetLocale(() => state.locale);
  overwriteSetLocale((locale) => setWindowLocale(locale));
  return state.locale;
}

/** The language now (reactive). */
export function windowLocale(): Locale {
  return state.locale;
}

/** Whether the language was chosen in Settings (else it follows the system). */
export function localeChosen(): boolean {
  return state.chosen;
}

/** Sets the language and keeps the choice; `null` follows the system's language again. */
export function setWindowLocale(locale: Locale | null) {
  try {
    if (locale) globalThis.localStorage?.setItem(STORAGE_KEY, locale);
    else globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // A window without storage still switches; the choice lasts until it closes.
  }
  state.chosen = locale !== null;
  apply(locale ?? initial());
}
