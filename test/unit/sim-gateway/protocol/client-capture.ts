/**
 * Runs @stoqey/ib's own Encoder (through its own socket.js byte framing) and decodes what it wrote
 * with our FrameReader + decodeClientMessage, the way the simulator will receive it.
 */
import type { Encoder } from '@stoqey/ib/dist/core/io/encoder';
import { ClientRequest, decodeClientMessage } from '../../../../apps/sim-gateway/protocol/client-messages';
import { FrameReader } from '../../../../apps/sim-gateway/protocol/framing';
import { IbClientHarness } from './ib-client-harness';

export interface CapturedSession {
  readonly harness: IbClientHarness;
  readonly reader: FrameReader;
  /** Field arrays of the messages sent so far after START_API. */
  takeMessages(): string[][];
}

/** A connected client whose handshake and START_API have been read by a FrameReader. */
export function capturedSession(clientId = 7): CapturedSession {
  const harness = new IbClientHarness(clientId);
  const reader = new FrameReader();
  harness.connect();
  harness.takeEvents();
  const greeting = reader.push(harness.takeWrittenBytes());
  expect(greeting.map((fields) => decodeClientMessage(fields))).toEqual([{ kind: 'startApi', clientId, optionalCapabilities: '' }]);
  return {
    harness,
    reader,
    takeMessages: () => {
      // The Encoder reports refusals (e.g. "does not support") as error events: none expected.
      expect(harness.takeEvents()).toEqual([]);
      return reader.push(harness.takeWrittenBytes());
    },
  };
}

/** The requests the client's encoder produced for `send`, decoded by our decoder. */
export function captureRequests(send: (encoder: Encoder) => void): ClientRequest[] {
  const session = capturedSession();
  send(session.harness.encoder);
  return session.takeMessages().map((fields) => decodeClientMessage(fields));
}

/** The single request `send` produced. */
export function captureRequest(send: (encoder: Encoder) => void): ClientRequest {
  const requests = captureRequests(send);
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

/** The raw fields of the single message `send` produced. */
export function captureFields(send: (encoder: Encoder) => void): string[] {
  const session = capturedSession();
  send(session.harness.encoder);
  const messages = session.takeMessages();
  expect(messages).toHaveLength(1);
  return messages[0]!;
}
