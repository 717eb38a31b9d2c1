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
      admins: [],
      requiredApprovals: 1,
      escalateTo: [],
      escalateAfterHours: undefined,
      reminderHoursBeforeExpiry: 24,
      auditRetentionDays: 365,
      pendingShards: 16,
      alarmEmail: undefined,
      createSenderIdentity: true,
      certificateArn: undefined,
      postsTable: 'own',
      postsConcurrency: 10,
      postsPerAuthorPerHour: 5,
      postsPerClientPerHour: 20,
      signInsPerAddressPer15Minutes: 3,
    });
  });

  it('reads the abuse limits, 0 turning one off', () => {
    const settings = read({ ...valid, 'email-approval:postsPerAuthorPerHour': '2', 'email-approval:postsPerClientPerHour': '0', 'email-approval:signInsPerAddressPer15Minutes': '10' });
    expect(settings).to.include({ postsPerAuthorPerHour: 2, postsPerClientPerHour: 0, signInsPerAddressPer15Minutes: 10 });
  });

  it('refuses a link lifetime of a whole year, saying why, and accepts 8,759 hours', () => {
    const [problem] = problems({ ...valid, 'email-approval:linkTtlHours': '8760' });
    expect(problem).to.include('email-approval:linkTtlHours').and.include('8759').and.include('execution lasts at most 8,760 hours');
    expect(read({ ...valid, 'email-approval:linkTtlHours': '8759', 'email-approval:reminderHoursBeforeExpiry': '24' }).linkTtlHours).to.equal(8759);
  });

  it('refuses more reviewers (or escalation reviewers) than an approval request takes', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@example.com`).join(',');
    expect(problems({ ...valid, 'email-approval:reviewers': many(50) })).to.deep.equal([]);
    expect(problems({ ...valid, 'email-approval:reviewers': many(51) })).to.deep.equal(['email-approval:reviewers lists 51 addresses; an approval request takes at most 50']);
    expect(problems({ ...valid, 'email-approval:escalateTo': many(51) })[0]).to.include('email-approval:escalateTo');
  });

  it('refuses an escalation or a reminder that could never come before the links expire', () => {
    const out = problems({ ...valid, 'email-approval:linkTtlHours': '24', 'email-approval:escalateTo': 'carol@example.com', 'email-approval:escalateAfterHours': '24', 'email-approval:reminderHoursBeforeExpiry': '30' });
    expect(out.some((p) => p.startsWith('email-approval:escalateAfterHours (24) must be less than linkTtlHours (24)'))).to.equal(true);
    expect(out.some((p) => p.startsWith('email-approval:reminderHoursBeforeExpiry (30) must be less than linkTtlHours (24)'))).to.equal(true);
  });

  it('reminds 24 hours before expiry by default, or halfway through a shorter review period', () => {
    expect(read({ ...valid, 'email-approval:linkTtlHours': '24' }).reminderHoursBeforeExpiry).to.equal(12);
    expect(read({ ...valid, 'email-approval:linkTtlHours': '1' }).reminderHoursBeforeExpiry).to.equal(1);
    expect(read({ ...valid, 'email-approval:linkTtlHours': '168' }).reminderHoursBeforeExpiry).to.equal(24);
  });

  it('uses an existing SES identity when createSenderIdentity is false', () => {
    expect(read({ ...valid, 'email-approval:createSenderIdentity': 'false' }).createSenderIdentity).to.equal(false);
    expect(read({ ...valid, 'email-approval:createSenderIdentity': 'TRUE' }).createSenderIdentity).to.equal(true);
    expect(problems({ ...valid, 'email-approval:createSenderIdentity': 'no' })).to.deep.equal(['email-approval:createSenderIdentity must be true or false, got "no"']);
  });

  it('keeps the posts in the approval table only when asked to (postsTable shared, for stacks from before the posts table)', () => {
    expect(read({ ...valid, 'email-approval:postsTable': 'Shared' }).postsTable).to.equal('shared');
    expect(read({ ...valid, 'email-approval:postsTable': 'own' }).postsTable).to.equal('own');
    expect(problems({ ...valid, 'email-approval:postsTable': 'approvals' })).to.deep.equal(['email-approval:postsTable must be own or shared, got "approvals"']);
  });

  it('takes a certificate ARN for the custom domain, and only with a domain', () => {
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
    expect(read({ ...valid, 'email-approval:domain': 'approvals.example.com', 'email-approval:certificateArn': arn }).certificateArn).to.equal(arn);
    expect(problems({ ...valid, 'email-approval:certificateArn': arn })).to.deep.equal(['email-approval:certificateArn is used only with email-approval:domain: set the domain too, or remove the certificate']);
    expect(problems({ ...valid, 'email-approval:domain': 'approvals.example.com', 'email-approval:certificateArn': 'cert-1' })[0]).to.include('email-approval:certificateArn must be an ACM certificate ARN');
  });

  it('reserves 10 concurrent executions for the public posts Lambda unless told otherwise (a number, or off)', () => {
    expect(read({ ...valid, 'email-approval:postsConcurrency': '25' }).postsConcurrency).to.equal(25);
    expect(read({ ...valid, 'email-approval:postsConcurrency': 'off' }).postsConcurrency).to.equal(undefined);
    expect(problems({ ...valid, 'email-approval:postsConcurrency': '0' })[0]).to.include('email-approval:postsConcurrency must be a whole number');
  });

  it('reads the address operator alarms are emailed to', () => {
    expect(read({ ...valid, 'email-approval:alarmEmail': ' ops@example.com ' }).alarmEmail).to.equal('ops@example.com');
    expect(read({ ...valid, 'email-approval:alarmEmail': '' }).alarmEmail).to.equal(undefined);
  });

  it('reads the reviewer-team keys', () => {
    const settings = read({
      ...valid,
      'email-approval:admins': 'Boss@example.com',
      'email-approval:requiredApprovals': '2',
      'email-approval:escalateTo': 'lead@example.com',
      'email-approval:reminderHoursBeforeExpiry': '6',
      'email-approval:auditRetentionDays': '30',
    });
    expect(settings).to.include({ requiredApprovals: 2, escalateAfterHours: 48, reminderHoursBeforeExpiry: 6, auditRetentionDays: 30 });
    expect(settings.admins).to.deep.equal(['boss@example.com']);
    expect(settings.escalateTo).to.deep.equal(['lead@example.com']);
  });

  it('reads the shard count of the pending index', () => {
    expect(read({ ...valid, 'email-approval:pendingShards': '64' }).pendingShards).to.equal(64);
    expect(read({ ...valid, 'email-approval:pendingShards': '256' }).pendingShards).to.equal(256);
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
    ['email-approval:linkTtlHours', '0', 'from 1 to 8759'],
    ['email-approval:linkTtlHours', '1.5', 'whole number'],
    ['email-approval:linkTtlHours', 'week', 'whole number'],
    ['email-approval:domain', 'https://approvals.example.com', 'host name'],
    ['email-approval:requiredApprovals', '3', 'cannot exceed the number of reviewers'],
    ['email-approval:admins', 'boss', 'not addresses: boss'],
    ['email-approval:escalateAfterHours', '0', 'from 1 to 8760'],
    ['email-approval:auditRetentionDays', 'forever', 'whole number of days'],
    ['email-approval:pendingShards', '0', 'whole number of shards from 1 to 256'],
    ['email-approval:pendingShards', '257', 'whole number of shards from 1 to 256'],
    ['email-approval:pendingShards', '1.5', 'whole number of shards from 1 to 256'],
    ['email-approval:alarmEmail', 'ops', 'must be an email address'],
    ['email-approval:postsPerAuthorPerHour', '-1', 'whole number of posts (0: no limit) from 0 to 1000000'],
    ['email-approval:postsPerClientPerHour', '2.5', 'whole number of posts (0: no limit) from 0 to 1000000'],
    ['email-approval:signInsPerAddressPer15Minutes', 'few', 'whole number of sign-in emails (0: no limit) from 0 to 1000000'],
    ['email-approval:alarmEmail', 'ops@example.com,oncall@example.com', 'must be an email address'],
  ] as const) {
    it(`refuses ${key} = ${JSON.stringify(value)}, naming the key`, () => {
      const found = problems({ ...valid, [key]: value });
      expect(found).to.have.length(1);
      expect(found[0]).to.include(key).and.include(words);
    });
  }
});
