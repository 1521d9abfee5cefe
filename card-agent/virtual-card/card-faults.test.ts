import { describe, expect, it } from 'vitest';
import { describeCardFault, FaultInjector, POWER_LOSS_AWAY_MS, parseCardFault } from './card-faults';

const apdu = (ins: number) => Buffer.from([0x00, ins, 0x00, 0x00]);

describe('card fault specs', () => {
  it.each([
    ['drop@3', { kind: 'drop', at: 3 }],
    ['drop@3:500', { kind: 'drop', at: 3, awayMs: 500 }],
    ['power@12', { kind: 'power', at: 12 }],
    ['sw6F00@1', { kind: 'status', at: 1, sw: 0x6f00 }],
  ])('reads %s and writes it back', (spec, fault) => {
    expect(parseCardFault(spec)).toEqual(fault);
    expect(describeCardFault(parseCardFault(spec))).toBe(spec.toLowerCase());
  });

  it.each(['drop@0', 'drop', 'sw6f0@2', 'power@x', 'yank@3'])('refuses %s', (spec) => {
    expect(() => parseCardFault(spec)).toThrow();
  });
});

describe('FaultInjector', () => {
  it('fires once, at the Nth APDU counted from arming, and records what it saw', () => {
    const faults = new FaultInjector({ kind: 'status', at: 2, sw: 0x6581 });
    expect(faults.onApdu(apdu(0xa4))).toEqual({ do: 'execute' });
    expect(faults.onApdu(apdu(0x20))).toEqual({ do: 'answer', sw: 0x6581 });
    expect(faults.onApdu(apdu(0x20))).toEqual({ do: 'execute' });
    expect(faults.fired).toEqual({ kind: 'status', at: 2, sw: 0x6581 });
    expect(faults.trace).toEqual([0xa4, 0x20, 0x20]);
    faults.arm({ kind: 'drop', at: 1 });
    expect(faults.apdus).toBe(0);
    expect(faults.onApdu(apdu(0xcb))).toEqual({ do: 'disconnect', execute: false, awayMs: undefined });
  });

  it('a power loss executes the APDU, then the card is away for a moment', () => {
    const faults = new FaultInjector({ kind: 'power', at: 1 });
    expect(faults.onApdu(apdu(0x47))).toEqual({
      do: 'disconnect',
      execute: true,
      awayMs: POWER_LOSS_AWAY_MS,
    });
  });
});
