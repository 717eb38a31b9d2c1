/**
 * What local SES keeps under DATA_DIR: the inbox (the newest accepted emails, one JSON line each
 * in `ses-inbox.jsonl`) and the verified identities (`ses-identities.json`).
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Email } from 'aws-ses-v2-local/dist/store';

/** How many emails the inbox keeps (the newest); older ones leave the page and the file. */
export const DEFAULT_MAX_EMAILS = 1000;
export const INBOX_FILE = 'ses-inbox.jsonl';
const IDENTITIES_FILE = 'ses-identities.json';

/** The inbox: the newest `max` accepted emails, in memory and in a JSON-lines file under DATA_DIR. */
export class Inbox {
  readonly emails: Email[] = [];
  private lines = 0;

  constructor(
    private readonly file: string,
    private readonly max: number,
  ) {
    let damaged = false;
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          const email = JSON.parse(line) as Email;
          if (typeof email.messageId === 'string' && typeof email.at === 'number') this.emails.push(email);
          else damaged = true;
        } catch {
          // A line cut short when local mode was killed mid-write: the email before it is whole.
          damaged = true;
        }
      }
    }
    this.lines = this.emails.length;
    if (this.emails.length > max || damaged) this.compact();
  }

  add(email: Email): void {
    this.emails.push(email);
    if (this.emails.length > this.max) this.emails.splice(0, this.emails.length - this.max);
    appendFileSync(this.file, `${JSON.stringify(email)}\n`);
    // The file is append-only between compactions; it holds at most twice the bound.
    if (++this.lines > 2 * this.max) this.compact();
  }

  clear(): void {
    this.emails.length = 0;
    this.compact();
  }

  private compact(): void {
    this.emails.splice(0, Math.max(0, this.emails.length - this.max));
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, this.emails.map((e) => `${JSON.stringify(e)}\n`).join(''));
    renameSync(temp, this.file);
    this.lines = this.emails.length;
  }
}

/**
 * The verified identities (addresses, lower-cased), saved on every change; on a first start
 * `sender` is the one verified, afterwards what was saved stands (the sender too, if deleted).
 */
export class Identities {
  private readonly file: string;
  private readonly set: Set<string>;

  constructor(dataDir: string, sender: string) {
    this.file = join(dataDir, IDENTITIES_FILE);
    this.set = new Set<string>(existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as string[]) : [sender.toLowerCase()]);
    this.save();
  }

  has(address: string): boolean {
    return this.set.has(address);
  }

  add(address: string): void {
    this.set.add(address);
    this.save();
  }

  delete(address: string): void {
    this.set.delete(address);
    this.save();
  }

  /** Sorted. */
  list(): string[] {
    return [...this.set].sort();
  }

  private save(): void {
    writeFileSync(this.file, JSON.stringify(this.list()));
  }
}
