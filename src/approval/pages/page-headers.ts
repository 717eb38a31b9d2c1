import { createHash } from 'node:crypto';

/**
 * Security headers for an HTML page whose only style is one inline block: the CSP allows that
 * block by hash (no 'unsafe-inline'), no scripts, forms to this origin only, no framing.
 */
export function pageHeaders(style: string, extraCsp = ''): Readonly<Record<string, string>> {
  const hash = createHash('sha256').update(style).digest('base64');
  return Object.freeze({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'${extraCsp}`,
  });
}
