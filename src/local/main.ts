/**
 * `npm start`: the whole moderation flow locally. Settings from the environment:
 * PORT (3000), INBOX_PORT (8005), AWS_PORT (4566), DATA_DIR (.data), REVIEWERS (reviewer@example.com),
 * ADMINS (admin@example.com), LINK_TTL_HOURS (168), LOG_LEVEL (WARN), SWEEP_SECONDS (60),
 * REMINDER_HOURS_BEFORE_EXPIRY (24), PENDING_SHARDS (16), REQUIRED_APPROVALS (1), ESCALATE_TO (none),
 * ESCALATE_AFTER_HOURS (48 with ESCALATE_TO), POSTS_PER_AUTHOR_PER_HOUR, POSTS_PER_CLIENT_PER_HOUR and
 * SIGN_INS_PER_ADDRESS_PER_15_MINUTES (0: no limit).
 */
// The local Step Functions (aws-local-stepfunctions) needs Node 22+: on an older Node the server
// would start and then answer every decision "closed". `npm start` runs on the project's own
// Node 24 (the `node` devDependency, first on PATH in npm scripts), so this only stops a direct run.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `Local mode needs Node.js 22 or newer, and this is ${process.version}. Run it with \`npm start\`: npm scripts use the Node 24 that \`npm install\` put in node_modules.`,
  );
  process.exit(1);
}

function list(value: string | undefined, fallback: string[]): string[] {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.length > 0 ? items : fallback;
}

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  // Loaded after the version check: on an old Node its dependencies may not even load.
  const { startLocalStack, LOCAL_STATE_MACHINE_ARN } = await import('./local-stack.js');
  const stack = await startLocalStack({
    port: port('PORT', 3000),
    inboxPort: port('INBOX_PORT', 8005),
    awsPort: port('AWS_PORT', 4566),
    dataDir: process.env.DATA_DIR || '.data',
    reviewers: list(process.env.REVIEWERS, ['reviewer@example.com']),
    admins: list(process.env.ADMINS, ['admin@example.com']),
    sweepSeconds: process.env.SWEEP_SECONDS ? Number(process.env.SWEEP_SECONDS) : undefined,
    reminderHoursBeforeExpiry: process.env.REMINDER_HOURS_BEFORE_EXPIRY ? Number(process.env.REMINDER_HOURS_BEFORE_EXPIRY) : undefined,
    linkTtlHours: process.env.LINK_TTL_HOURS ? Number(process.env.LINK_TTL_HOURS) : undefined,
    logLevel: process.env.LOG_LEVEL || 'WARN',
    pendingShards: process.env.PENDING_SHARDS ? Number(process.env.PENDING_SHARDS) : undefined,
    requiredApprovals: process.env.REQUIRED_APPROVALS ? Number(process.env.REQUIRED_APPROVALS) : undefined,
    escalateTo: list(process.env.ESCALATE_TO, []),
    escalateAfterHours: process.env.ESCALATE_AFTER_HOURS ? Number(process.env.ESCALATE_AFTER_HOURS) : undefined,
    postsPerAuthorPerHour: process.env.POSTS_PER_AUTHOR_PER_HOUR ? Number(process.env.POSTS_PER_AUTHOR_PER_HOUR) : undefined,
    postsPerClientPerHour: process.env.POSTS_PER_CLIENT_PER_HOUR ? Number(process.env.POSTS_PER_CLIENT_PER_HOUR) : undefined,
    signInsPerAddressPer15Minutes: process.env.SIGN_INS_PER_ADDRESS_PER_15_MINUTES ? Number(process.env.SIGN_INS_PER_ADDRESS_PER_15_MINUTES) : undefined,
  });
  const pending = [...stack.stepFunctions.executions.values()].filter((e) => e.status === 'RUNNING').length;
  console.log(`
  Email approvals, local mode (no AWS account; data in ${process.env.DATA_DIR || '.data'})

    Posts and workflow   ${stack.apiUrl}/
    Reviewers' inbox     ${stack.inboxUrl}/
    Posts API            ${stack.apiUrl}/posts
    Admin dashboard      ${stack.apiUrl}/admin

  AWS endpoint         ${stack.awsUrl}
    Step Functions, DynamoDB, SES, KMS and Secrets Manager all answer there. With the AWS CLI:
      export AWS_ENDPOINT_URL=${stack.awsUrl} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
      aws stepfunctions list-executions --state-machine-arn ${LOCAL_STATE_MACHINE_ARN}
    (AWS CLI before 2.13 ignores AWS_ENDPOINT_URL: add --endpoint-url ${stack.awsUrl}.)
${pending > 0 ? `\n  Resumed ${pending} pending execution(s).\n` : ''}
  Ctrl-C stops everything.
`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.log('\n  Stopping…');
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  const { code, port: busy } = (err ?? {}) as { code?: string; port?: number };
  const hint = code === 'EADDRINUSE' ? ` Port ${busy} is taken (another local mode, or LocalStack on 4566?): choose others with PORT, INBOX_PORT and AWS_PORT.` : '';
  console.error(`Could not start local mode: ${err instanceof Error ? err.message : String(err)}.${hint}`);
  process.exit(1);
});
