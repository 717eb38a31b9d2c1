import { expect } from 'chai';
import { ConfigError, readSettings } from '../../pulumi/settings';

const valid: Record<string, string> = {
  'email-approval:senderEmail': 'approvals@example.com',
  'email-approval:reviewers': 'Alice@example.com, bob@example.com,alice@example.com',
  'aws:region': 'eu-west-1',
};
const read = (values: Record<string, string | undefined>) => readSettings((key) => values[key]);
function problems(values: Record<string, string | undefined>): string[] {
  try {
    read(values);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('stack settings', () => {
  it('reads the keys with their defaults', () => {
    expect(read(valid)).to.deep.equal({
      senderEmail: 'approvals@example.com',
      reviewers: ['alice@example.com', 'bob@example.com'],
      linkTtlHours: 168,
      domain: undefined,
      region: 'eu-west-1',
    });
  });

  it('names every missing key at once, with the command that sets it', () => {
    const found = problems({});
    expect(found).to.have.length(3);
    expect(found[0]).to.equal('email-approval:senderEmail is required: pulumi config set email-approval:senderEmail approvals@example.com');
    expect(found[1]).to.include('email-approval:reviewers is required');
    expect(found[2]).to.include('aws:region is required');
  });

  for (const [key, value, words] of [
    ['email-approval:senderEmail', 'not-an-address', 'must be an email address'],
    ['email-approval:reviewers', 'alice@example.com,bob', 'not addresses: bob'],
    ['email-approval:reviewers', ' , ', 'comma-separated'],
    ['email-approval:linkTtlHours', '0', 'from 1 to 8760'],
    ['email-approval:linkTtlHours', '1.5', 'whole number'],
    ['email-approval:linkTtlHours', 'week', 'whole number'],
    ['email-approval:domain', 'https://approvals.example.com', 'host name'],
  ] as const) {
    it(`refuses ${key} = ${JSON.stringify(value)}, naming the key`, () => {
      const found = problems({ ...valid, [key]: value });
      expect(found).to.have.length(1);
      expect(found[0]).to.include(key).and.include(words);
    });
  }
});
