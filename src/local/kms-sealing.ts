/**
 * The sealing behind every stand-in for KMS symmetric encryption in this project (local mode's
 * KMS, the unit tests' stubbed KMSClient, the bench): AES-256-GCM under 32 bytes of key
 * material, with the key id and the encryption context as authenticated data, so a ciphertext
 * opens only with its own key material, key id and context, as with KMS. Plain node:crypto.
 *
 * Layout, `SEAL_OVERHEAD_BYTES` (162) over the plaintext, as a KMS symmetric ciphertext blob,
 * so links and items that carry one are as long as on AWS:
 *
 *   header (134 bytes: SHA-256 of the key id, then zeros) | IV (12) | GCM tag (16) | body
 *
 * The authenticated data is the whole header followed by the context's entries, sorted by name,
 * as JSON. The compact layout local mode's KMS used before (a 32-byte header: the key id's hash
 * alone; same authenticated data) is still opened when the caller asks for it.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Where KMS keeps its key reference and version; here the key id's hash, then zeros. */
export const SEAL_HEADER_BYTES = 134;
const COMPACT_HEADER_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Ciphertext bytes over the plaintext: 162, as KMS adds for a symmetric key. */
export const SEAL_OVERHEAD_BYTES = SEAL_HEADER_BYTES + IV_BYTES + TAG_BYTES;

/** An encryption context: string pairs, as KMS takes them (absent is the empty context). */
export type SealContext = Readonly<Record<string, string>> | undefined;

/** Fresh key material for `seal` and `open` (AES-256). */
export const newKeyMaterial = (): Buffer => randomBytes(32);

const keyHash = (keyId: string) => createHash('sha256').update(keyId).digest();
const aad = (header: Buffer, context: SealContext) =>
  Buffer.concat([header, Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b))))]);

/** Seals `plaintext` under `material`, bound to `keyId` and `context`. */
export function seal(material: Buffer, keyId: string, plaintext: Uint8Array, context?: SealContext): Buffer {
  const header = Buffer.alloc(SEAL_HEADER_BYTES);
  keyHash(keyId).copy(header);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', material, iv).setAAD(aad(header, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

export interface OpenOptions {
  /** The key ids the ciphertext may be bound to; absent, any (the tag still checks the one it names). */
  keyIds?: readonly string[];
  /** Also open the earlier compact layout (32-byte header). */
  compact?: boolean;
}

/** One layout's attempt: the plaintext, or undefined if the blob is not a valid ciphertext in it. */
function openLayout(material: Buffer, blob: Buffer, context: SealContext, headerBytes: number, keyIds: readonly string[] | undefined): Buffer | undefined {
  if (blob.length < headerBytes + IV_BYTES + TAG_BYTES) return undefined;
  const header = blob.subarray(0, headerBytes);
  const named = header.subarray(0, COMPACT_HEADER_BYTES);
  if (keyIds && !keyIds.some((keyId) => keyHash(keyId).equals(named))) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', material, blob.subarray(headerBytes, headerBytes + IV_BYTES)).setAAD(aad(header, context));
    decipher.setAuthTag(blob.subarray(headerBytes + IV_BYTES, headerBytes + IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(headerBytes + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * The plaintext of `blob`, or undefined if it does not open: another key material, key id or
 * context, a changed byte, or no ciphertext at all (like KMS, it does not say which).
 */
export function open(material: Buffer, blob: Uint8Array, context: SealContext, options: OpenOptions = {}): Buffer | undefined {
  const bytes = Buffer.from(blob);
  return (
    openLayout(material, bytes, context, SEAL_HEADER_BYTES, options.keyIds) ??
    (options.compact ? openLayout(material, bytes, context, COMPACT_HEADER_BYTES, options.keyIds) : undefined)
  );
}
