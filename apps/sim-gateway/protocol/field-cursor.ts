/**
 * Sequential, typed reading of one client message's fields. Every read either returns a value of
 * the requested type or throws ProtocolError naming the message, the field and its position, so a
 * misaligned or truncated request can never turn into a wrong order.
 *
 * Conventions follow what `@stoqey/ib` encoder.js puts on the wire: `undefined` becomes "",
 * booleans "1"/"0" (socket.js `send`), numbers `String(n)`; Java clients send Double.MAX_VALUE
 * and Integer.MAX_VALUE for "unset", so those read as undefined too.
 */
import { ProtocolError } from './errors';
import { UNSET_INTEGER } from './wire-format';

export interface TagValue {
  readonly tag: string;
  readonly value: string;
}

const INTEGER_PATTERN = /^-?\d+$/;
// What String(number) and Java's Double.toString produce, plus the infinities a client may send
// (@stoqey/ib COMPETE_AGAINST_BEST_OFFSET_UP_TO_MID is Infinity).
const DOUBLE_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?Infinity$/;

export class FieldCursor {
  private position: number;

  constructor(
    private readonly fields: readonly string[],
    private readonly messageName: string,
    startPosition = 0,
  ) {
    this.position = startPosition;
  }

  get remaining(): number {
    return this.fields.length - this.position;
  }

  /** Reads the next field verbatim ("" stays ""). */
  string(fieldName: string): string {
    if (this.position >= this.fields.length) {
      throw new ProtocolError(
        'truncated-message',
        `${this.messageName}: field #${this.position} (${fieldName}) missing, message has only ${this.fields.length} fields`,
      );
    }
    const value = this.fields[this.position] as string;
    this.position += 1;
    return value;
  }

  /** Integer; "" reads as 0, as the reference decoders' readInt does. */
  int(fieldName: string): number {
    return this.optionalIntRaw(fieldName) ?? 0;
  }

  /** Integer; "" and Integer.MAX_VALUE read as undefined. */
  optionalInt(fieldName: string): number | undefined {
    const value = this.optionalIntRaw(fieldName);
    return value === UNSET_INTEGER ? undefined : value;
  }

  /** Double; "" and Double.MAX_VALUE read as undefined. */
  optionalDouble(fieldName: string): number | undefined {
    const raw = this.string(fieldName);
    if (raw === '') return undefined;
    if (!DOUBLE_PATTERN.test(raw)) throw this.malformed(fieldName, raw, 'a number');
    const value = Number(raw);
    return value === Number.MAX_VALUE ? undefined : value;
  }

  /** Boolean sent as an integer: "" and "0" are false, any other integer true (Java readBoolFromInt). */
  bool(fieldName: string): boolean {
    const raw = this.string(fieldName);
    if (raw === '') return false;
    if (!INTEGER_PATTERN.test(raw)) throw this.malformed(fieldName, raw, 'a boolean (0/1)');
    return Number(raw) !== 0;
  }

  /**
   * A repeat count followed by `count` items of at least `minFieldsPerItem` fields each. Checked
   * against what is left so a garbage count like 999999999 fails at once instead of looping.
   */
  count(fieldName: string, minFieldsPerItem: number): number {
    const value = this.int(fieldName);
    if (value < 0) throw this.malformed(fieldName, String(value), 'a count >= 0');
    if (value * minFieldsPerItem > this.remaining) {
      throw new ProtocolError(
        'truncated-message',
        `${this.messageName}: ${fieldName} announces ${value} items of >= ${minFieldsPerItem} fields, only ${this.remaining} fields left`,
      );
    }
    return value;
  }

  /** A `tag=value;tag=value;` list as @stoqey/ib encoder.js `encodeTagValues` writes it. */
  tagValues(fieldName: string): TagValue[] {
    const raw = this.string(fieldName);
    const result: TagValue[] = [];
    for (const entry of raw.split(';')) {
      if (entry === '') continue;
      const separator = entry.indexOf('=');
      if (separator <= 0) throw this.malformed(fieldName, raw, '"tag=value;" pairs');
      result.push({ tag: entry.slice(0, separator), value: entry.slice(separator + 1) });
    }
    return result;
  }

  /** A count, then tag and value as two separate fields per pair (algo params, smart routing). */
  tagValuePairs(fieldName: string): TagValue[] {
    const pairCount = this.count(`${fieldName}.count`, 2);
    const pairs: TagValue[] = [];
    for (let index = 0; index < pairCount; index += 1) {
      pairs.push({ tag: this.string(`${fieldName}[${index}].tag`), value: this.string(`${fieldName}[${index}].value`) });
    }
    return pairs;
  }

  /** Every field must have been consumed: extra fields mean the sender's layout differs from ours. */
  end(): void {
    if (this.position !== this.fields.length) {
      throw new ProtocolError(
        'unexpected-fields',
        `${this.messageName}: ${this.fields.length - this.position} unread fields after #${this.position - 1}: ` +
          JSON.stringify(this.fields.slice(this.position, this.position + 8)),
      );
    }
  }

  private optionalIntRaw(fieldName: string): number | undefined {
    const raw = this.string(fieldName);
    if (raw === '') return undefined;
    if (!INTEGER_PATTERN.test(raw)) throw this.malformed(fieldName, raw, 'an integer');
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) throw this.malformed(fieldName, raw, 'an integer within 2^53');
    return value;
  }

  /** Called right after the bad field was read, so it sits at position - 1. */
  private malformed(fieldName: string, raw: string, expected: string): ProtocolError {
    const index = this.position - 1;
    return new ProtocolError(
      'malformed-field',
      `${this.messageName}: field #${index} (${fieldName}) should be ${expected}, got ${JSON.stringify(raw.slice(0, 60))}`,
    );
  }
}
