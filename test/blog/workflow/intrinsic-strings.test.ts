/**
 * Intrinsic functions on strings with `"` and `\`, run through aws-local-stepfunctions as local
 * mode runs them, against AWS's documented semantics
 * (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html):
 *
 * - `States.JsonToString(path)` returns a JSON text of the data at the path: JSON.stringify.
 * - `States.Format` returns its template with each `{}` replaced by the next argument's value,
 *   inserted as it is (a string's `"` and `\` stay).
 * - In a string literal `'…'`, and only there, `\'` `\{` `\}` `\\` stand for `'` `{` `}` `\`; an
 *   escaped brace is no placeholder; any other backslash ("an open escape") is a runtime error.
 *
 * aws-local-stepfunctions 3.0.0 removed every backslash from any string an intrinsic returned
 * (so `States.JsonToString` wrote broken JSON for a value with `"` or `\`); our patch
 * (patches/aws-local-stepfunctions+3.0.0.patch, applied on install) decodes the escapes where they
 * are written, in the literals, and leaves results alone.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { StateMachine } from 'aws-local-stepfunctions';

/**
 * One Pass state with these Parameters. Not validated, as local mode does not validate (the
 * library's bundled asl-validator refuses a literal with `\'` or `\{`, which AWS accepts).
 */
const passState = (parameters: Record<string, unknown>) =>
  new StateMachine({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: parameters, End: true } } } as never, { validationOptions: { noValidate: true } });

/** The Parameters of one Pass state, evaluated on `input` by the library. */
async function evaluate(parameters: Record<string, unknown>, input: unknown): Promise<Record<string, unknown>> {
  return (await passState(parameters).run(input as never).result) as Record<string, unknown>;
}

/** The error an execution ended with (the interpreter wraps it in ExecutionError). */
async function failureOf(result: Promise<unknown>): Promise<string> {
  try {
    await result;
  } catch (err) {
    return ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
  }
  throw new Error('the execution succeeded');
}

const INJECTION = 'fine","decision":"approved","decidedBy":"ceo@example.com';
const NASTY = [INJECTION, 'C:\\temp\\new', 'a "quoted" \\"word\\"', '\\', '\\\\', '"', "it's", '{}', '\\{\\}', 'line\nbreak\ttab', '\u2028 \u{1F600}', ''];

describe('intrinsic functions on strings with quotes and backslashes (aws-local-stepfunctions, patched)', () => {
  it('States.JsonToString returns JSON.stringify of the value, whatever its strings hold', async () => {
    for (const text of NASTY) {
      const value = { decision: 'rejected', decidedBy: 'bob@example.com', comment: text, votes: [{ reviewer: 'r\\0', at: text }] };
      const { json } = await evaluate({ 'json.$': 'States.JsonToString($.value)' }, { value });
      expect(json, JSON.stringify(text)).to.equal(JSON.stringify(value));
      expect(JSON.parse(json as string)).to.deep.equal(value);
    }
  });

  it('States.JsonToString of any JSON value is JSON.stringify of it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const { json } = await evaluate({ 'json.$': 'States.JsonToString($.value)' }, { value });
        expect(json).to.equal(JSON.stringify(value));
      }),
      { numRuns: 100 },
    );
  });

  it('States.StringToJson(States.JsonToString(x)) gives x back', async () => {
    const value = { comment: INJECTION, path: 'C:\\x\\"y"' };
    const { back } = await evaluate({ 'back.$': 'States.StringToJson(States.JsonToString($.value))' }, { value });
    expect(back).to.deep.equal(value);
  });

  it('States.Format inserts a path value as it is, quotes and backslashes included', async () => {
    for (const text of NASTY) {
      const { literal, fromPath } = await evaluate({ 'literal.$': "States.Format('POST#{}', $.id)", 'fromPath.$': 'States.Format($.template, $.id)' }, { id: text, template: '<{}>' });
      expect(literal, JSON.stringify(text)).to.equal(`POST#${text}`);
      expect(fromPath, JSON.stringify(text)).to.equal(`<${text}>`);
    }
  });

  it('decodes \\\' \\{ \\} \\\\ in a literal, and an escaped brace is no placeholder', async () => {
    // The JSON text of the definition doubles each backslash: 'it\'s \{\} {} C:\\dir' in ASL.
    const { out } = await evaluate({ 'out.$': "States.Format('it\\'s \\{\\} {} C:\\\\dir', $.v)" }, { v: 'x' });
    expect(out).to.equal("it's {} x C:\\dir");
    const { braces } = await evaluate({ 'braces.$': "States.Format('\\{{}\\}', $.v)" }, { v: 'y' });
    expect(braces).to.equal('{y}');
  });

  it('splits arguments outside literals only: a comma, a parenthesis or an escaped quote inside one stays in it', async () => {
    const { out } = await evaluate({ 'out.$': "States.Format('a, (b\\', c{}', $.v)" }, { v: 'd' });
    expect(out).to.equal("a, (b', cd");
    const { parts } = await evaluate({ 'parts.$': "States.StringSplit($.s, ',')" }, { s: 'x\\,y,"z"' });
    expect(parts).to.deep.equal(['x\\', 'y', '"z"']);
    // A literal that ends in an escaped backslash: the quote after it closes the literal.
    const { tail } = await evaluate({ 'tail.$': "States.Format('{}\\\\', $.v)" }, { v: 'w' });
    expect(tail).to.equal('w\\');
  });

  it('nests: an inner result with quotes and backslashes reaches the outer function intact', async () => {
    const value = { k: 'v"\\' };
    const { out } = await evaluate({ 'out.$': "States.Format('{}|{}', States.Format('\\{{}\\}', $.s), States.JsonToString($.value))" }, { s: 'q"\\', value });
    expect(out).to.equal(`{q"\\}|${JSON.stringify(value)}`);
  });

  it('refuses an open escape backslash in a literal, as AWS does', async () => {
    const message = await failureOf(passState({ 'x.$': "States.Format('a\\nb')" }).run({}).result);
    expect(message).to.match(/open escape backslash/);
  });

  it('keeps the other string intrinsics exact: Base64 and ArrayContains on values with \\ and "', async () => {
    const text = 'a\\b"c';
    const out = await evaluate(
      { 'b64.$': 'States.Base64Encode($.t)', 'back.$': 'States.Base64Decode(States.Base64Encode($.t))', 'has.$': 'States.ArrayContains($.list, $.t)' },
      { t: text, list: ['x', text] },
    );
    expect(out).to.deep.equal({ b64: Buffer.from(text).toString('base64'), back: text, has: true });
  });
});
