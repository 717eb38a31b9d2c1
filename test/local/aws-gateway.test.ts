import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { serviceFor, startAwsGateway } from '../../src/local/aws-gateway';

/** A stand-in service that records what reached it and never answers a request it did not fully receive. */
async function recorder(): Promise<{ url: string; seen: string[]; open: () => number; close(): Promise<void> }> {
  const seen: string[] = [];
  let live = 0;
  const server: Server = createServer((req, res) => {
    live++;
    req.on('close', () => live--);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${String(req.headers['x-amz-target'] ?? req.url)} ${body}`);
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    open: () => live,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('local mode: the one AWS endpoint', () => {
  it('routes each protocol to its service', () => {
    expect(serviceFor('AWSStepFunctions.ListExecutions')).to.equal('stepFunctions');
    expect(serviceFor('DynamoDB_20120810.GetItem')).to.equal('dynamodb');
    expect(serviceFor('TrentService.Decrypt')).to.equal('kms');
    expect(serviceFor('secretsmanager.GetSecretValue')).to.equal('secretsManager');
    expect(serviceFor(undefined)).to.equal('ses');
    expect(serviceFor('AmazonSQS.SendMessage')).to.equal(undefined);
  });

  it('answers only requests addressed to this machine: another Host (DNS rebinding) or any Origin is refused', async () => {
    const target = await recorder();
    const gateway = await startAwsGateway({ stepFunctions: target.url, dynamodb: target.url, kms: target.url, secretsManager: target.url, ses: target.url }, 0);
    try {
      const port = Number(new URL(gateway.url).port);
      const send = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1', ...headers } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end('{"SecretId":"local/link-signing-keys"}');
        });
      expect(await send({ host: `127.0.0.1:${port}` })).to.equal(200);
      expect(await send({ host: `localhost:${port}` })).to.equal(200);
      expect(await send({ host: `attacker.example:${port}` })).to.equal(403);
      expect(await send({ host: `127.0.0.1:${port}`, origin: 'http://attacker.example' })).to.equal(403);
      expect(await send({ host: `127.0.0.1:${port}`, 'x-amz-target': 'AmazonSQS.SendMessage' })).to.equal(400);
      expect(target.seen).to.have.length(2);
    } finally {
      await gateway.close();
      await target.close();
    }
  });

  it('drops the forwarded request when its client goes away mid-body', async () => {
    const target = await recorder();
    const gateway = await startAwsGateway({ stepFunctions: target.url, dynamodb: target.url, kms: target.url, secretsManager: target.url, ses: target.url }, 0);
    try {
      const port = Number(new URL(gateway.url).port);
      for (let i = 0; i < 3; i++) {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'x-amz-target': 'TrentService.Encrypt', 'content-length': '1000' } });
        req.on('error', () => undefined);
        req.write('{"KeyId":');
        await new Promise((resolve) => setTimeout(resolve, 50));
        req.destroy();
      }
      const deadline = Date.now() + 2000;
      while (target.open() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(target.open()).to.equal(0);
      expect(target.seen).to.deep.equal([]);
    } finally {
      await gateway.close();
      await target.close();
    }
  });
});
