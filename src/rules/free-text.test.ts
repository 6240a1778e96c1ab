import { describe, expect, it } from 'vitest';
import { defaultPolicies } from '../modules/settings/settings.defaults.js';
import type { TenantSettings } from '../modules/settings/settings.schemas.js';
import { FREE_TEXT_FIELDS, prepareProfile, unchangedFreeText } from '../modules/users/user.rules.js';
import { countryFromAny, phoneRegionFromAny, regionOfDialingCode } from './country.js';
import { isDisposableDomain, isFreeMailDomain } from './email-domains.js';
import { isReservedDomain } from './reserved-domains.js';
import { ianaOfWindowsZone } from './windows-zones.js';

const settings: TenantSettings = { ...defaultPolicies, defaultLocale: 'en', defaultTimezone: 'UTC' };
const free = new Set(FREE_TEXT_FIELDS);

describe('free strings: normalised when possible, kept as sent otherwise', () => {
  it('should find ISO 3166-1 alpha-2 codes from codes and names in any case', () => {
    for (const [sent, code] of [
      ['France', 'FR'],
      ['FRA', 'FR'],
      ['fr', 'FR'],
      ['250', 'FR'],
      ['United States', 'US'],
      ['usa', 'US'],
      ['Deutschland', 'DE'],
      ['Royaume-Uni', 'GB'],
      ['  united kingdom ', 'GB'],
    ]) {
      expect(countryFromAny(sent as string), sent).toBe(code);
    }
    for (const sent of ['N/A', '', 'Atlantis', 'XX']) expect(countryFromAny(sent), sent).toBeUndefined();
  });

  it('should find a region from a dialing code or a country', () => {
    expect(regionOfDialingCode('+33')).toBe('FR');
    expect(regionOfDialingCode('0044')).toBe('GB');
    expect(regionOfDialingCode('+1')).toBe('US');
    expect(regionOfDialingCode('+999')).toBeUndefined();
    expect(phoneRegionFromAny('France')).toBe('FR');
    expect(phoneRegionFromAny('+49')).toBe('DE');
  });

  it('should map Windows zone names to IANA zones, without case', () => {
    expect(ianaOfWindowsZone('Eastern Standard Time')).toBe('America/New_York');
    expect(ianaOfWindowsZone('romance standard time')).toBe('Europe/Paris');
    expect(ianaOfWindowsZone('Not A Zone')).toBeUndefined();
  });

  it('should never count the reserved documentation domains as free-mail or throw-away', () => {
    for (const domain of ['example.com', 'mail.example.com', 'example.org', 'acme.test', 'x.example', 'host.invalid']) {
      expect(isReservedDomain(domain), domain).toBe(true);
      expect(isFreeMailDomain(domain), domain).toBe(false);
      expect(isDisposableDomain(domain), domain).toBe(false);
    }
    expect(isFreeMailDomain('gmail.com')).toBe(true);
    expect(isReservedDomain('examples.com')).toBe(false);
  });

  it('should keep what cannot be normalised as sent under asSent, and refuse it without', () => {
    const draft = {
      email: 'a@acme.com',
      phone: 'N/A',
      timezone: 'Mars Standard Time',
      countryOfBirth: 'Atlantis',
      address: { country: 'Middle-earth' },
    };
    const strict = prepareProfile(draft, settings);
    expect(strict.errors.map((e) => e.path).sort()).toEqual(['/address/country', '/countryOfBirth', '/phone', '/timezone']);
    const lenient = prepareProfile(draft, settings, { asSent: free });
    expect(lenient.errors).toEqual([]);
    expect(lenient.profile).toMatchObject({
      phone: 'N/A',
      timezone: 'Mars Standard Time',
      countryOfBirth: 'Atlantis',
      address: { country: 'Middle-earth' },
    });
  });

  it('should normalise names, alpha-3 codes, Windows zones, national numbers with a dialing-code region under asSent', () => {
    const { profile, errors } = prepareProfile(
      {
        email: 'a@acme.com',
        phone: '01 23 45 67 89',
        phoneCountry: '+33',
        timezone: 'Eastern Standard Time',
        countryOfBirth: 'France',
        address: { country: 'USA' },
      },
      settings,
      { asSent: free },
    );
    expect(errors).toEqual([]);
    expect(profile).toMatchObject({
      phone: '+33123456789',
      timezone: 'America/New_York',
      countryOfBirth: 'FR',
      address: { country: 'US' },
    });
    // A national number with no region at all is kept as sent.
    expect(prepareProfile({ email: 'a@acme.com', phone: '(212) 736-5000' }, settings, { asSent: free }).profile.phone).toBe(
      '(212) 736-5000',
    );
  });

  it('should read POSIX locales, keep other text, and take a blank one as omitted under asSent', () => {
    const locale = (sent: string) => prepareProfile({ email: 'a@acme.com', locale: sent }, settings, { asSent: free });
    expect(locale('fr_FR').profile.locale).toBe('fr-FR');
    expect(locale('en_US.UTF-8').profile.locale).toBe('en-US');
    expect(locale('Français (France)').profile.locale).toBe('Français (France)');
    expect(locale('  ').profile.locale).toBe('en');
    expect(prepareProfile({ email: 'a@acme.com', locale: 'fr_FR' }, settings).errors.map((e) => e.path)).toEqual(['/locale']);
  });

  it('should not judge again a kept value an update leaves unchanged, and judge a changed one', () => {
    const stored = { email: 'a@acme.com', phone: 'N/A', timezone: 'Mars Standard Time' };
    const unchanged = { ...stored, givenName: 'Ada' };
    expect(prepareProfile(unchanged, settings, { asSent: unchangedFreeText(unchanged, stored) }).errors).toEqual([]);
    const changed = { ...stored, phone: 'still not a number' };
    expect(prepareProfile(changed, settings, { asSent: unchangedFreeText(changed, stored) }).errors.map((e) => e.path)).toEqual(['/phone']);
  });
});
