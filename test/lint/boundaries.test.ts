import { join } from 'node:path';
import { expect } from 'chai';
import { ESLint } from 'eslint';

const ROOT = join(__dirname, '..', '..');

/** The rules that fired on `code` as if it were the file at `path` (relative to the repository). */
async function rulesOn(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.map((m) => m.ruleId ?? 'parse');
}

describe('core and example boundaries (lint)', function () {
  this.timeout(60_000);

  it('let the blog example import the core through its entry points only', async () => {
    expect(await rulesOn('src/blog/services/x.ts', "import { ApprovalError } from '../../approval';\nexport const e = ApprovalError;\n")).to.deep.equal([]);
    expect(await rulesOn('src/blog/services/x.ts', "import { ApprovalError } from '../../approval/domain/errors';\nexport const e = ApprovalError;\n")).to.include('no-restricted-imports');
    expect(await rulesOn('pulumi/blog/x.ts', "import { ApprovalService } from '../approval';\nexport const s = ApprovalService;\n")).to.deep.equal([]);
    expect(await rulesOn('pulumi/blog/x.ts', "import { ApprovalService } from '../approval/approval-service';\nexport const s = ApprovalService;\n")).to.include('no-restricted-imports');
    expect(await rulesOn('pulumi/blog/x.ts', "import { requestKey } from '../../src/approval/adapters/table-schema';\nexport const k = requestKey;\n")).to.include('no-restricted-imports');
  });

  it('keep the core from depending on the example or local mode', async () => {
    expect(await rulesOn('src/approval/services/x.ts', "import { submitPost } from '../../blog/services/posts';\nexport const f = submitPost;\n")).to.include('no-restricted-imports');
    expect(await rulesOn('pulumi/approval/x.ts', "import { BlogModeration } from '../blog/blog-moderation';\nexport const b = BlogModeration;\n")).to.include('no-restricted-imports');
    expect(await rulesOn('src/approval/lambda/x.ts', "import { startLocalStack } from '../../local/local-stack';\nexport const s = startLocalStack;\n")).to.include('no-restricted-imports');
  });

  it('keep domain code free of AWS, in the core and in the example', async () => {
    for (const path of ['src/approval/domain/x.ts', 'src/blog/domain/x.ts']) {
      expect(await rulesOn(path, "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const c = DynamoDBClient;\n"), path).to.include('no-restricted-imports');
    }
  });
});
