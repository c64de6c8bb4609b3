import net from 'node:net';

/** SCANNER_DATA (TWS API incoming message 20). */
const SCANNER_DATA = '20';

/**
 * A TCP proxy in front of a real sim-gateway that answers every market scan with zero rows, as IB does when
 * nothing matches (or early in a quiet session). Everything else passes through unchanged. TWS API v100+
 * frames every server message as a 4-byte big-endian length and NUL-terminated fields, so a SCANNER_DATA
 * frame can be rewritten to `20, version, reqId, 0` (the client then emits scannerDataEnd with no rows).
 */
export async function startScannerBlankingProxy(targetPort: number): Promise<{ port: number; blanked: () => number; close: () => Promise<void> }> {
  let blanked = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      while (pending.length >= 4) {
        const length = pending.readUInt32BE(0);
        if (pending.length < 4 + length) break;
        const payload = pending.subarray(4, 4 + length);
        pending = pending.subarray(4 + length);
        const fields = payload.toString('utf8').split('\0');
        if (fields[0] === SCANNER_DATA) {
          blanked += 1;
          out.push(frame([fields[0], fields[1]!, fields[2]!, '0']));
        } else {
          out.push(Buffer.concat([lengthOf(payload.length), payload]));
        }
      }
      if (out.length) client.write(Buffer.concat(out));
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    blanked: () => blanked,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

function frame(fields: string[]): Buffer {
  const payload = Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
  return Buffer.concat([lengthOf(payload.length), payload]);
}

function lengthOf(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}
