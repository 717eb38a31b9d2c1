/**
 * Local SES v1 (the query protocol), in front of aws-ses-v2-local: sends are checked (addresses,
 * a verified Source) before they go on, the identity actions are answered here, and any other
 * action gets `InvalidAction` (aws-ses-v2-local would leave it without an answer).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addressOf, addressProblem, firstProblem } from './ses-addresses';
import { escapeXml, members, notVerified, ok, readBody, sesError, type SesFront } from './ses-protocol';

const V1_ACTIONS = [
  'SendEmail',
  'SendRawEmail',
  'VerifyEmailIdentity',
  'VerifyEmailAddress',
  'DeleteIdentity',
  'DeleteVerifiedEmailAddress',
  'ListIdentities',
  'ListVerifiedEmailAddresses',
  'GetIdentityVerificationAttributes',
  'GetSendQuota',
];

/** SES v1 (the query protocol): whatever the content type says, the body is a form. */
export async function handleV1(front: SesFront, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { identities, inbox } = front;
  const body = await readBody(req);
  const params = new URLSearchParams(body.toString('utf8'));
  const action = params.get('Action') ?? '';
  switch (action) {
    case 'SendEmail':
    case 'SendRawEmail': {
      const source = params.get('Source');
      const destinations =
        action === 'SendEmail'
          ? ['Destination.ToAddresses.member.', 'Destination.CcAddresses.member.', 'Destination.BccAddresses.member.', 'ReplyToAddresses.member.'].flatMap((prefix) => members(params, prefix))
          : members(params, 'Destinations.member.');
      if (action === 'SendEmail' && source === null) return sesError(res, 'ValidationError', "1 validation error detected: Value null at 'source' failed to satisfy constraint: Member must not be null");
      const problem = firstProblem([source, ...destinations]);
      if (problem) return sesError(res, 'InvalidParameterValue', problem);
      // SendRawEmail may leave the sender to the message's From header; only a given Source is checked.
      if (source !== null && !identities.has(addressOf(source))) return sesError(res, 'MessageRejected', notVerified(addressOf(source)));
      const answer = await front.upstream(req, body);
      const text = answer.body.toString('utf8');
      if (answer.status === 200) {
        const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1];
        front.take(text);
        return ok(res, action, messageId ? `<MessageId>${escapeXml(messageId)}</MessageId>` : '');
      }
      // aws-ses-v2-local answers its own checks in JSON; a v1 client reads XML.
      let detail = text;
      try {
        const parsed = JSON.parse(text) as { message?: string; detail?: string };
        detail = parsed.detail ?? parsed.message ?? text;
      } catch {
        // not JSON: its text is the message
      }
      if (answer.status === 403) return sesError(res, 'MissingAuthenticationToken', detail, 403);
      return sesError(res, answer.status < 500 ? 'ValidationError' : 'InternalFailure', detail, answer.status < 500 ? 400 : 500);
    }
    case 'VerifyEmailIdentity':
    case 'VerifyEmailAddress': {
      const address = params.get('EmailAddress');
      if (!address) return sesError(res, 'ValidationError', "1 validation error detected: Value null at 'emailAddress' failed to satisfy constraint: Member must not be null");
      const problem = addressProblem(address);
      if (problem) return sesError(res, 'InvalidParameterValue', `Invalid email address <${address}>.`);
      identities.add(addressOf(address));
      return ok(res, action);
    }
    case 'DeleteIdentity':
    case 'DeleteVerifiedEmailAddress': {
      const identity = params.get(action === 'DeleteIdentity' ? 'Identity' : 'EmailAddress');
      if (!identity) return sesError(res, 'ValidationError', `1 validation error detected: Value null at '${action === 'DeleteIdentity' ? 'identity' : 'emailAddress'}' failed to satisfy constraint: Member must not be null`);
      identities.delete(identity.trim().toLowerCase());
      return ok(res, action);
    }
    case 'ListIdentities':
      return ok(res, action, `<Identities>${identities.list().map((i) => `<member>${escapeXml(i)}</member>`).join('')}</Identities>`);
    case 'ListVerifiedEmailAddresses':
      return ok(res, action, `<VerifiedEmailAddresses>${identities.list().map((i) => `<member>${escapeXml(i)}</member>`).join('')}</VerifiedEmailAddresses>`);
    case 'GetIdentityVerificationAttributes': {
      // SES lists only the identities it knows of.
      const entries = members(params, 'Identities.member.')
        .filter((identity) => identities.has(identity.trim().toLowerCase()))
        .map((identity) => `<entry><key>${escapeXml(identity)}</key><value><VerificationStatus>Success</VerificationStatus></value></entry>`);
      return ok(res, action, `<VerificationAttributes>${entries.join('')}</VerificationAttributes>`);
    }
    case 'GetSendQuota': {
      const since = Math.floor(Date.now() / 1000) - 24 * 3600;
      const sent = inbox.emails.filter((e) => e.at >= since).length;
      return ok(res, action, `<Max24HourSend>200.0</Max24HourSend><MaxSendRate>1.0</MaxSendRate><SentLast24Hours>${sent}.0</SentLast24Hours>`);
    }
    case '':
      return sesError(res, 'MissingAction', 'The request must name an Action.');
    default:
      return sesError(res, 'InvalidAction', `The action ${action} is not valid for this web service, or not available in local mode (it serves ${V1_ACTIONS.join(', ')}).`);
  }
}

