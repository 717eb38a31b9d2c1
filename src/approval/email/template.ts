import Mustache from 'mustache';

/** A mustache template parsed once; `render` only walks the tokens. */
export interface CompiledTemplate {
  /** Fills the template, escaping every `{{value}}` for where it stands (text or attribute value). */
  html(view: object): string;
  /** Fills the template without escaping, for plain-text parts. */
  text(view: object): string;
}

const TEXT_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text content: `&`, `<`, `>` and both quotes, so no value can open a tag or an attribute. */
export function escapeText(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => TEXT_ENTITIES[c]!);
}

const ATTRIBUTE_ENTITIES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' };

/**
 * A double-quoted attribute value. HTML needs `&` and `"` escaped there; `<` and `>` are escaped
 * too, so a filter that looks for tags in the raw HTML finds none in author text (MJML copies the
 * title into an `aria-label`); a URL never holds either unencoded. Mustache's own escape also
 * turns `/` into `&#x2F;` and `=` into `&#x3D;`: valid HTML, but a link some clients and every
 * reader of the source see mangled. This one leaves a URL reading as itself.
 */
export function escapeAttribute(value: unknown): string {
  return String(value).replace(/["&<>]/g, (c) => ATTRIBUTE_ENTITIES[c]!);
}

const noEscape = { escape: (value: unknown) => String(value) };
const textEscape = { escape: escapeText };

type Token = Mustache.TemplateSpans[number];

/**
 * Where a `{{value}}` at `position` stands: 'text' outside any tag, 'attribute' inside a
 * double-quoted attribute value. Anywhere else in a tag (a bare or single-quoted value, a name)
 * no escape is safe, so the template is refused when it is compiled.
 */
function placeOf(template: string, position: number): 'text' | 'attribute' {
  const open = template.lastIndexOf('<', position - 1);
  if (open === -1 || template.lastIndexOf('>', position - 1) > open) return 'text';
  let quotes = 0;
  for (let i = open; i < position; i++) if (template.charCodeAt(i) === 0x22) quotes++;
  if (quotes % 2 === 1) return 'attribute';
  throw new Error(`template: {{…}} at ${position} stands inside a tag but not in a double-quoted attribute value`);
}

/** The `{{value}}` tokens (sections walked) that stand in attribute values. */
function attributeTokens(tokens: Mustache.TemplateSpans, template: string, found = new WeakSet<Token>()): WeakSet<Token> {
  for (const token of tokens) {
    if (token[0] === 'name' && placeOf(template, token[2]) === 'attribute') found.add(token);
    if ((token[0] === '#' || token[0] === '^') && Array.isArray(token[4])) attributeTokens(token[4], template, found);
  }
  return found;
}

/**
 * Parses at load time. Mustache.render looks its cache up by the whole template text on every
 * call, which for a 12 KB email costs more than the fill itself; keeping the tokens skips that.
 * `{{value}}` is escaped as text or as an attribute value by where it stands in the template.
 */
export function compileTemplate(template: string): CompiledTemplate {
  const writer = new Mustache.Writer();
  const tokens = writer.parse(template);
  const inAttributes = attributeTokens(tokens, template);
  const textValue = writer.escapedValue.bind(writer);
  writer.escapedValue = (token, context, config) => {
    if (config !== textEscape || !inAttributes.has(token as Token)) return textValue(token, context, config);
    const value: unknown = context.lookup(token[1]!);
    return value == null ? (undefined as unknown as string) : escapeAttribute(value);
  };
  return {
    html: (view) => writer.renderTokens(tokens, new Mustache.Context(view), undefined, template, textEscape),
    text: (view) => writer.renderTokens(tokens, new Mustache.Context(view), undefined, template, noEscape),
  };
}
