import { createHash, randomFillSync } from 'node:crypto';

/**
 * Ids are kept for as long as their records, so each must be one flat string. Node's
 * randomUUID builds its answer by concatenation: a tree of a dozen string pieces per id,
 * about 500 bytes of heap kept per stored job. Here the characters are written into a
 * buffer and read out as one string.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;
const scratch = Buffer.alloc(128);
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** 16 random bytes from a pool refilled from the system's source, at their offset in `pool`. */
function randomSixteen(): number {
  if (poolOffset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += 16;
  return at;
}

function writeHex(byte: number, to: number): void {
  scratch[to] = HEX[byte >> 4];
  scratch[to + 1] = HEX[byte & 15];
}

/** An opaque, unguessable id: the prefix, `_`, and 128 random bits in hex. */
export function newId(prefix: string): string {
  let at = scratch.write(prefix, 0, 'latin1');
  scratch[at++] = 0x5f; // _
  const from = randomSixteen();
  for (let i = 0; i < 16; i++, at += 2) writeHex(pool[from + i], at);
  return scratch.toString('latin1', 0, at);
}

/** A random (version 4) UUID, as randomUUID gives, but flat. */
export function newUuid(): string {
  const from = randomSixteen();
  pool[from + 6] = (pool[from + 6] & 0x0f) | 0x40;
  pool[from + 8] = (pool[from + 8] & 0x3f) | 0x80;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) scratch[at++] = 0x2d; // -
    writeHex(pool[from + i], at);
    at += 2;
  }
  return scratch.toString('latin1', 0, at);
}

/** The account id a tenant shows in webhook payloads: stable per key, never the key itself. */
export function clientIdFor(key: string): string {
  return `acct_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}
