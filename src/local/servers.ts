import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 (`port` 0: any free one) and resolves to the port. */
export const listen = (server: Server, port: number) =>
  new Promise<number>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done((server.address() as AddressInfo).port));
  });

/** Stops accepting connections and resolves once the open ones are done. */
export const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));
