/** The name shown at the top of /docs in place of the generator's own logo. */
export const ROSTER_LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40">
<rect width="40" height="40" rx="8" fill="#2f6fde"/>
<text x="20" y="28" font-family="system-ui,sans-serif" font-size="22" font-weight="700" fill="#fff" text-anchor="middle">R</text>
<text x="50" y="28" font-family="system-ui,sans-serif" font-size="22" font-weight="600" fill="#fff">Roster API</text>
</svg>`;
