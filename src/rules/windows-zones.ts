import windowsIana from 'windows-iana';
import { canonicalTimezone } from './locale.js';

// Windows zone names (`Eastern Standard Time`) as CLDR's windowsZones maps them, from the maintained
// windows-iana package: the zone of the "001" territory, CLDR's golden zone for that Windows name.
// Names are compared without case, as Windows compares them.
let byLowerName: Map<string, string> | undefined;

/** The IANA zone of a Windows time-zone name (`Eastern Standard Time` → `America/New_York`), or undefined. */
export function ianaOfWindowsZone(input: string): string | undefined {
  if (!byLowerName) {
    byLowerName = new Map();
    for (const entry of windowsIana.WINDOWS_TO_IANA_MAP) {
      const [first] = entry.iana;
      if (entry.territory === '001' && first) byLowerName.set(entry.windowsName.toLowerCase(), first);
    }
  }
  const iana = byLowerName.get(input.trim().toLowerCase());
  return iana === undefined ? undefined : canonicalTimezone(iana);
}
