/**
 * Fixed-layout message templates for the long server messages (OPEN_ORDER has 133 fields at
 * v193). A template is the ordered list of slots the client's decoder reads, each with the default
 * a plain stock order would carry; an encoder fills the ~20 slots that matter by name. Keeping the
 * whole layout in one list makes the field count reviewable against decoder.js line by line and
 * testable (`fieldCount`), and makes it impossible to shift a field by forgetting one.
 */
import { FieldEncodingError } from './errors';
import type { WireField } from './wire-format';

export type TemplateSlot = readonly [slotName: string, defaultValue: WireField];

export interface FieldTemplate<SlotName extends string> {
  readonly templateName: string;
  readonly slotNames: readonly SlotName[];
  readonly fieldCount: number;
  /** Position of a slot in the message (0 = message id). */
  indexOf(slotName: SlotName): number;
  /** The defaults with `values` written over them; an `undefined` value keeps the default. */
  fill(values: Partial<Record<SlotName, WireField>>): WireField[];
}

export function defineFieldTemplate<const Slots extends readonly TemplateSlot[]>(
  templateName: string,
  slots: Slots,
): FieldTemplate<Slots[number][0]> {
  type SlotName = Slots[number][0];
  const positions = new Map<string, number>();
  slots.forEach(([slotName], position) => {
    if (positions.has(slotName)) {
      throw new FieldEncodingError(position, `${templateName}: slot name "${slotName}" is used twice`);
    }
    positions.set(slotName, position);
  });
  const defaults: WireField[] = slots.map(([, defaultValue]) => defaultValue);
  const positionOf = (slotName: string): number => {
    const position = positions.get(slotName);
    if (position === undefined) throw new FieldEncodingError(-1, `${templateName}: no slot named "${slotName}"`);
    return position;
  };
  return {
    templateName,
    slotNames: slots.map(([slotName]) => slotName as SlotName),
    fieldCount: slots.length,
    indexOf: positionOf,
    fill(values) {
      const fields = defaults.slice();
      for (const [slotName, value] of Object.entries(values) as Array<[string, WireField]>) {
        if (value !== undefined) fields[positionOf(slotName)] = value;
      }
      return fields;
    },
  };
}
