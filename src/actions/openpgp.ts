// OpenPGP public keys as apt takes them in Signed-By: an armored block in a `.asc` file
// needs no gpg on the node, so every key is stored armored. A binary key (a packet
// stream) is armored here; anything else is refused before any node is touched.

const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END = '-----END PGP PUBLIC KEY BLOCK-----';
/** Binary keys start with a public-key packet: tag 6 in the old format (0x98–0x9b) or the new one (0xc6). */
export const KEY_PACKET_FIRST_BYTES = ['98', '99', '9a', '9b', 'c6'];

export type KeyCheck = { ok: true; armored: string } | { ok: false; why: string };

/** Whether `bytes` are an OpenPGP public key, and the key as an armored block. */
export function asArmoredKey(bytes: Buffer): KeyCheck {
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) return { ok: false, why: 'is a private key; apt needs the public key' };
  const begin = text.indexOf(BEGIN);
  if (begin >= 0 && text.slice(0, begin).trim() === '') {
    const end = text.indexOf(END, begin);
    if (end < 0) return { ok: false, why: `has "${BEGIN}" but no "${END}"` };
    const block = text.slice(begin, end + END.length);
    if (!isKeyPacket(dearmor(block))) return { ok: false, why: 'is an armored block that holds no public key packet' };
    return { ok: true, armored: `${block}\n` };
  }
  if (!isKeyPacket(bytes)) return { ok: false, why: `is not an OpenPGP public key (neither armored "${BEGIN}" nor a binary key packet)` };
  return { ok: true, armored: armor(bytes) };
}

/** A public-key packet (tag 6) whose body starts with a known key version (3 to 6). */
function isKeyPacket(bytes: Buffer): boolean {
  const first = bytes[0];
  if (first === undefined || (first & 0x80) === 0) return false;
  let tag: number;
  let header: number;
  if (first & 0x40) {
    tag = first & 0x3f;
    const len = bytes[1] ?? 0;
    header = len < 192 ? 2 : len < 224 ? 3 : len === 255 ? 6 : 0;
  } else {
    tag = (first >> 2) & 0x0f;
    header = [2, 3, 5, 1][first & 0x03]!;
  }
  const version = bytes[header];
  return tag === 6 && header > 0 && version !== undefined && version >= 3 && version <= 6;
}

/** The packets of an armored block: the base64 lines after the headers, without the checksum line. */
function dearmor(block: string): Buffer {
  const body = block.split(/\r?\n/).slice(1, -1);
  const blank = body.findIndex((l) => l.trim() === '');
  const data = (blank >= 0 ? body.slice(blank + 1) : body).filter((l) => !l.startsWith('='));
  return Buffer.from(data.join(''), 'base64');
}

function armor(bytes: Buffer): string {
  const b64 = bytes.toString('base64').replace(/.{1,64}/g, '$&\n');
  const crc = Buffer.alloc(3);
  crc.writeUIntBE(crc24(bytes), 0, 3);
  return `${BEGIN}\n\n${b64}=${crc.toString('base64')}\n${END}\n`;
}

/** RFC 4880 §6.1. */
function crc24(bytes: Buffer): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}
