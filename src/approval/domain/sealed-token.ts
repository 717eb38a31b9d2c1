import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ApprovalError } from './errors';
import type { TokenCipher } from './ports';

/** Binds a ciphertext to its request: KMS refuses to decrypt it under any other request id. */
/** The KMS encryption context's purpose for task tokens: the key policy allows only this one. */
export const TOKEN_PURPOSE = 'task-token';
export const tokenContext = (requestId: string): Record<string, string> => ({ requestId, purpose: TOKEN_PURPOSE });

/**
 * Deflates then encrypts the task token, returning base64url. Task tokens are base64-like text,
 * so deflate saves about a quarter of the bytes before KMS adds its ~160-byte envelope.
 */
export async function sealToken(cipher: TokenCipher, token: string, requestId: string): Promise<string> {
  const packed = deflateRawSync(Buffer.from(token, 'utf8'), { level: 9 });
  const sealed = await cipher.encrypt(packed, tokenContext(requestId));
  return Buffer.from(sealed).toString('base64url');
}

/** Reverses sealToken. A ciphertext that does not inflate is treated as a fault, not a user error. */
export async function openToken(cipher: TokenCipher, sealed: string, requestId: string): Promise<string> {
  const packed = await cipher.decrypt(Buffer.from(sealed, 'base64url'), tokenContext(requestId));
  try {
    return inflateRawSync(packed, { maxOutputLength: 64 * 1024 }).toString('utf8');
  } catch (cause) {
    throw new ApprovalError('INTERNAL', { cause });
  }
}
