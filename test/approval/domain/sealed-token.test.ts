import { deflateRawSync } from 'node:zlib';
import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import type { TokenCipher } from '../../../src/approval/domain/ports';
import { openToken, sealToken } from '../../../src/approval/domain/sealed-token';

/** Not encryption: passes bytes through and records the context of each call. */
function recordingCipher() {
  const contexts: Record<string, string>[] = [];
  const cipher: TokenCipher = {
    encrypt: (plaintext, context) => (contexts.push(context), Promise.resolve(new Uint8Array(plaintext))),
    decrypt: (ciphertext, context) => (contexts.push(context), Promise.resolve(new Uint8Array(ciphertext))),
  };
  return { cipher, contexts };
}

function refusal(promise: Promise<unknown>): Promise<ApprovalError | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof ApprovalError) return err;
      throw err;
    },
  );
}

describe('sealed task tokens', () => {
  it('round-trip, bound to their request id and purpose on both ways', async () => {
    const { cipher, contexts } = recordingCipher();
    const token = 'AAAAKgAAAAIAAAAAAAAAAQ' + 'x'.repeat(1000);
    const sealed = await sealToken(cipher, token, 'request-1');
    expect(sealed).to.match(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed, 'base64url').length).to.be.below(token.length / 2);
    expect(await openToken(cipher, sealed, 'request-1')).to.equal(token);
    expect(contexts).to.deep.equal([
      { requestId: 'request-1', purpose: 'task-token' },
      { requestId: 'request-1', purpose: 'task-token' },
    ]);
  });

  it('treat a plaintext that does not inflate as a fault (INTERNAL), keeping why', async () => {
    const { cipher } = recordingCipher();
    const err = await refusal(openToken(cipher, Buffer.from([0xff, 0xff, 0xff]).toString('base64url'), 'request-1'));
    expect(err?.code).to.equal('INTERNAL');
    expect(err?.cause).to.be.instanceOf(Error);
  });

  it('refuse to inflate more than 64 KiB (a task token is at most 2,048 characters): INTERNAL, not a huge string', async () => {
    const { cipher } = recordingCipher();
    const exactly = deflateRawSync(Buffer.alloc(64 * 1024, 'a')).toString('base64url');
    expect(await openToken(cipher, exactly, 'request-1')).to.have.length(64 * 1024);
    const bomb = deflateRawSync(Buffer.alloc(64 * 1024 + 1, 'a')).toString('base64url');
    const err = await refusal(openToken(cipher, bomb, 'request-1'));
    expect(err?.code).to.equal('INTERNAL');
    expect(err?.cause).to.be.instanceOf(RangeError);
  });
});
