/** A minimal protobuf wire-format reader (varints, length-delimited fields, fixed 32/64). */
export interface WireField {
  number: number;
  wireType: number;
  /** varint or fixed value */
  value?: bigint;
  /** length-delimited payload */
  bytes?: Uint8Array;
}

export function readFields(buffer: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const key = Number(readVarint());
    const number = key >>> 3;
    const wireType = key & 7;
    switch (wireType) {
      case 0:
        fields.push({ number, wireType, value: readVarint() });
        break;
      case 1: {
        const view = new DataView(buffer.buffer, buffer.byteOffset + offset, 8);
        fields.push({ number, wireType, value: view.getBigUint64(0, true) });
        offset += 8;
        break;
      }
      case 2: {
        const length = Number(readVarint());
        if (offset + length > buffer.length) throw new Error('truncated field');
        fields.push({ number, wireType, bytes: buffer.subarray(offset, offset + length) });
        offset += length;
        break;
      }
      case 5: {
        const view = new DataView(buffer.buffer, buffer.byteOffset + offset, 4);
        fields.push({ number, wireType, value: BigInt(view.getUint32(0, true)) });
        offset += 4;
        break;
      }
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  return fields;
}

export function readVarints(bytes: Uint8Array): bigint[] {
  const values: bigint[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    values.push(result);
  }
  return values;
}
