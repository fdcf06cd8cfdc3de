import { describe, expect, it } from 'vitest';
import villaMaria from '../../../data/portraits/ar-villa-maria/v1.json';
import type { Portrait } from '../bindings/Portrait';
import { isEmptyTranslation, itemLang, langOf, languageName, localize, presentFields, translationFor } from '../localize';
import { fieldLabel, formatFieldValue } from '../present';

const base = () => structuredClone(villaMaria) as unknown as Portrait;

describe('a portrait read in a language (as Rust reads it)', () => {
  it('is the original, every text field marked so, when it has no translation', () => {
    const p = base();
    const l = localize(p, 'fr');
    expect(l.lang).toBe('en');
    expect(l.original).toEqual(presentFields(p));
    expect(l.original).toEqual(['tagline', 'lead', 'vision', 'challenges', 'plan', 'quote']);
    expect(l.portrait.lead).toBe(p.lead);
  });

  it('takes the translation field by field, falls back for the rest, and matches a regional tag', () => {
    const p = base();
    p.highlights = ['One', 'Two'];
    p.translations = { fr: { tagline: 'Une ville', lead: 'Villa María, en Argentine.', quote: 'Apprendre', highlights: [null, 'Deux'] } };
    const l = localize(p, 'fr-CA');
    expect(l.lang).toBe('fr');
    expect(l.portrait.tagline).toBe('Une ville');
    expect(l.portrait.vision).toBe(p.vision);
    expect(l.portrait.highlights).toEqual(['One', 'Deux']);
    expect(l.portrait.quote?.text).toBe('Apprendre');
    expect(l.portrait.translations).toBeUndefined();
    const quoteWhole = p.quote?.role == null;
    expect(l.original).toEqual(['vision', 'challenges', 'plan', ...(quoteWhole ? [] : ['quote']), 'highlights']);
    expect(langOf(l, 'lead')).toBe('fr');
    expect(langOf(l, 'plan')).toBe('en');
    expect(itemLang(p, l, 'highlights', 0)).toBe('en');
    expect(itemLang(p, l, 'highlights', 1)).toBe('fr');
    expect(p.tagline).not.toBe('Une ville'); // the original is not changed
    expect(translationFor(p, 'en')).toBeNull();
    expect(translationFor(p, 'es')).toBeNull();
    expect(localize(p, 'en').portrait.tagline).toBe(p.tagline);
  });

  it('tells a translation that translates nothing', () => {
    expect(isEmptyTranslation({ highlights: [null], captions: [] })).toBe(true);
    expect(isEmptyTranslation({ quote_role: 'Maire' })).toBe(false);
  });

  it('names languages and translated fields in the window’s language', () => {
    expect(languageName('fr', 'fr')).toBe('français');
    expect(languageName('es', 'en')).toBe('Spanish');
    expect(languageName('pt-BR', 'es')).toMatch(/portugués/);
    expect(languageName('xx-invalid-tag-!', 'en')).toBe('xx-invalid-tag-!');
    expect(fieldLabel('$.translations.fr.lead', 'en')).toBe('Lead paragraph (French)');
    expect(fieldLabel('$.translations.es.highlights[1]', 'fr')).toBe(`${fieldLabel('highlights[1]', 'fr')} (espagnol)`);
    expect(fieldLabel('$.translations.fr', 'fr')).toBe('Traduction en français');
    expect(fieldLabel('translations', 'es')).toBe('Traducciones');
    expect(fieldLabel('$.translations.fr.quote_role', 'en')).toBe('Quote: role (French)');
    const v = formatFieldValue('translations', { fr: { lead: 'Une ville', highlights: [null, 'Deux'] } }, 'en');
    expect(v).toBe('French: Lead paragraph: Une ville; Highlight 2: Deux');
  });
});
