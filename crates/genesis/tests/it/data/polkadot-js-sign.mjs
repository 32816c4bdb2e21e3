// Generates polkadot-js-claims.json: run with @polkadot/keyring, util-crypto and util 13.x installed
// (npm install @polkadot/keyring@13 @polkadot/util-crypto@13 @polkadot/util@13; node polkadot-js-sign.mjs).
// Not run by CI: the output is committed as an external cross-check of our signature precompiles.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import { hexToU8a, u8aToHex, stringToHex, u8aWrapBytes, u8aToU8a } from '@polkadot/util';
await cryptoWaitReady();
const text = 'Claim my Phala parachain PHA to 0x00000000000000000000000000000000000000a1 on chain 1337 via 0x5048410000000000000000000000000000000007';
const out = { source: 'polkadot.js ' + JSON.parse((await import('fs')).readFileSync('node_modules/@polkadot/util-crypto/package.json')).version + ': signRaw-style signature (data = text as hex, u8aWrapBytes, pair.sign)', text, recipient: '0x00000000000000000000000000000000000000a1', chainId: 1337, vectors: [] };
for (const [type, seed] of [['sr25519', '0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a'], ['ed25519', '0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60']]) {
  const pair = new Keyring({ type }).addFromSeed(hexToU8a(seed));
  // What the extension's RequestBytesSign does with signRaw({ data, type: 'bytes' }).
  const wrapped = u8aWrapBytes(u8aToU8a(stringToHex(text)));
  const signature = pair.sign(wrapped);
  if (!signatureVerify(wrapped, signature, pair.publicKey).isValid) throw new Error('self-check failed');
  out.vectors.push({ scheme: type, publicKey: u8aToHex(pair.publicKey), message: u8aToHex(wrapped), signature: u8aToHex(signature) });
}
console.log(JSON.stringify(out, null, 2));
