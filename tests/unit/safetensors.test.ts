import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/model/safetensors.ts';

describe('safetensors', () => {
  it('writes the documented layout: u64 header length, JSON header, 8-byte aligned little-endian F32 data', () => {
    const buf = encodeSafetensors(new Map([['a', { shape: [2], data: new Float32Array([1, -2]) }]]), { format: 'pt' });
    const view = new DataView(buf);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
    expect(header.a).toEqual({ dtype: 'F32', shape: [2], data_offsets: [0, 8] });
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(view.getFloat32(8 + n, true)).toBe(1);
    expect(view.getFloat32(8 + n + 4, true)).toBe(-2);
    expect(buf.byteLength).toBe(8 + n + 8);
  });

  it('round-trips several tensors', () => {
    const t = new Map([
      ['x.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      ['x.bias', { shape: [3], data: new Float32Array([0.5, -0.25, 1e-8]) }],
    ]);
    const { tensors } = decodeSafetensors(encodeSafetensors(t));
    expect([...tensors.keys()]).toEqual(['x.weight', 'x.bias']);
    expect(tensors.get('x.weight')!.shape).toEqual([2, 3]);
    expect([...tensors.get('x.bias')!.data]).toEqual([...t.get('x.bias')!.data]);
  });

  it('reads F16 tensors', () => {
    const header = new TextEncoder().encode(JSON.stringify({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] } }));
    const buf = new ArrayBuffer(8 + header.length + 6);
    const view = new DataView(buf);
    view.setBigUint64(0, BigInt(header.length), true);
    new Uint8Array(buf, 8).set(header);
    // 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800
    [0x3c00, 0xc000, 0x3800].forEach((v, i) => view.setUint16(8 + header.length + 2 * i, v, true));
    expect([...decodeSafetensors(buf).tensors.get('h')!.data]).toEqual([1, -2, 0.5]);
  });

  it('explains malformed files', () => {
    expect(() => decodeSafetensors(new ArrayBuffer(4))).toThrow(/too short/);
    const bad = new ArrayBuffer(16);
    new DataView(bad).setBigUint64(0, 1000n, true);
    expect(() => decodeSafetensors(bad)).toThrow(/header length/);
  });
});
