/**
 * Email addresses as local SES checks them: the address inside `Name <address>`, why SES would
 * refuse one (in SES's own words), and the addresses of a send's destination.
 */

/** The address inside `Name <address>`, lower-cased, or the whole value. */
export function addressOf(source: string): string {
  const open = source.lastIndexOf('<');
  const close = source.lastIndexOf('>');
  return (open >= 0 && close > open ? source.slice(open + 1, close) : source).trim().toLowerCase();
}

const LOCAL_SPECIALS = '()<>,;:\\"[]@';
const isControlOrSpace = (code: number) => code <= 0x20 || code === 0x7f;

/**
 * Why SES would refuse `value` as an address (`addr@domain` or `Display Name <addr@domain>`),
 * in the words SES answers with (those of JavaMail's address check), or undefined if it is fine.
 * ASCII only: SES takes an internationalised domain in its `xn--` form.
 */
export function addressProblem(value: string): string | undefined {
  // A header line break in any part of it would let the value add headers of its own.
  if (/[\r\n\0]/.test(value)) return 'Illegal address';
  let address = value.trim();
  const open = address.lastIndexOf('<');
  if (open >= 0) {
    if (!address.endsWith('>')) return "Missing '>'";
    address = address.slice(open + 1, -1).trim();
  } else if (address.includes('>')) {
    return "Missing '<'";
  }
  if (address === '') return 'Empty address';
  const at = address.lastIndexOf('@');
  if (at < 0) return "Missing final '@domain'";
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local === '') return 'Missing local name';
  if (domain === '') return 'Missing domain';
  const quoted = local.length >= 2 && local.startsWith('"') && local.endsWith('"');
  for (let i = 0; i < local.length; i++) {
    const code = local.charCodeAt(i);
    if (isControlOrSpace(code) && !(quoted && code === 0x20)) return 'Local address contains control or whitespace';
    if (code > 0x7e) return 'Local address contains illegal character';
    if (!quoted && LOCAL_SPECIALS.includes(local[i]!)) return 'Local address contains illegal character';
  }
  if (!quoted) {
    if (local.startsWith('.')) return 'Local address starts with dot';
    if (local.endsWith('.')) return 'Local address ends with dot';
    if (local.includes('..')) return 'Local address contains dot-dot';
  }
  for (let i = 0; i < domain.length; i++) {
    const code = domain.charCodeAt(i);
    if (isControlOrSpace(code)) return 'Domain contains control or whitespace';
    if (!/[A-Za-z0-9.-]/.test(domain[i]!)) return 'Domain contains illegal character';
  }
  if (domain.startsWith('.')) return 'Domain starts with dot';
  if (domain.endsWith('.')) return 'Domain ends with dot';
  if (domain.includes('..')) return 'Domain contains dot-dot';
  return undefined;
}

/** The first problem among `addresses` as SES words it, or undefined. */
export function firstProblem(addresses: unknown[]): string | undefined {
  for (const address of addresses) {
    if (typeof address !== 'string') continue;
    const problem = addressProblem(address);
    if (problem) return problem;
  }
  return undefined;
}

export const strings = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const destinationAddresses = (destination: unknown): unknown[] => {
  const d = (destination ?? {}) as { ToAddresses?: unknown; CcAddresses?: unknown; BccAddresses?: unknown };
  return [...strings(d.ToAddresses), ...strings(d.CcAddresses), ...strings(d.BccAddresses)];
};

