import Mustache from 'mustache';

/** A mustache template parsed once; `render` only walks the tokens. */
export interface CompiledTemplate {
  /** Fills the template, HTML-escaping every `{{value}}`. */
  html(view: object): string;
  /** Fills the template without escaping, for plain-text parts. */
  text(view: object): string;
}

const noEscape = { escape: (value: unknown) => String(value) };

/**
 * Parses at load time. Mustache.render looks its cache up by the whole template text on every
 * call, which for a 12 KB email costs more than the fill itself; keeping the tokens skips that.
 */
export function compileTemplate(template: string): CompiledTemplate {
  const writer = new Mustache.Writer();
  const tokens = writer.parse(template);
  return {
    html: (view) => writer.renderTokens(tokens, new Mustache.Context(view), undefined, template),
    text: (view) => writer.renderTokens(tokens, new Mustache.Context(view), undefined, template, noEscape),
  };
}
