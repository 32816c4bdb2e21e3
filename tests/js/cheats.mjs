// Drives a running phala-node --dev with viem's test client in anvil mode (the cheat RPCs
// Hardhat and Foundry users reach for), and prints what it saw as one JSON object.
// Usage: node cheats.mjs <http-rpc-url>
import { createTestClient, defineChain, http, pad, publicActions, walletActions } from 'viem';

const url = process.argv[2];
if (!url) {
  console.error('usage: node cheats.mjs <http-rpc-url>');
  process.exit(2);
}
const NOBODY = '0x00000000000000000000000000000000000c0ffe';
const STRANGER = '0x1234567890123456789012345678901234567890';
const DEV3 = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';

const chain = defineChain({
  id: 1337,
  name: 'phala-dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
const client = createTestClient({ chain, mode: 'anvil', transport: http(url) })
  .extend(publicActions)
  .extend(walletActions);
const out = {};

await client.setBalance({ address: NOBODY, value: 12345n });
out.balance = (await client.getBalance({ address: NOBODY })).toString();
await client.setNonce({ address: NOBODY, nonce: 9 });
out.nonce = await client.getTransactionCount({ address: NOBODY });
await client.setCode({ address: NOBODY, bytecode: '0x5f545f5260205ff3' });
out.code = await client.getCode({ address: NOBODY });
await client.setStorageAt({ address: NOBODY, index: 0, value: pad('0x5') });
out.storage = await client.getStorageAt({ address: NOBODY, slot: '0x0' });

const id = await client.snapshot();
const before = await client.getBlockNumber({ cacheTime: 0 });
out.snapshotAt = Number(before);
await client.mine({ blocks: 3, interval: 3600 });
const second = await client.getBlock({ blockNumber: before + 2n });
const third = await client.getBlock({ blockNumber: before + 3n });
out.timestampGap = Number(third.timestamp - second.timestamp);

await client.impersonateAccount({ address: STRANGER });
await client.setBalance({ address: STRANGER, value: 10n ** 18n });
const hash = await client.sendTransaction({ account: STRANGER, to: DEV3, value: 1n });
const receipt = await client.waitForTransactionReceipt({ hash });
out.impersonatedStatus = receipt.status;
out.impersonatedFrom = receipt.from;
await client.stopImpersonatingAccount({ address: STRANGER });
const unsigned = await client.sendUnsignedTransaction({ from: STRANGER, to: DEV3, value: 2n });
out.unsignedStatus = (await client.waitForTransactionReceipt({ hash: unsigned })).status;
out.minedBlocks = Number((await client.getBlockNumber({ cacheTime: 0 })) - before) - 1;

await client.revert({ id });
out.revertedTo = Number(await client.getBlockNumber({ cacheTime: 0 }));
out.balanceAfterRevert = (await client.getBalance({ address: NOBODY })).toString();

await client.setAutomine(false);
out.automine = await client.getAutomine();
await client.setAutomine(true);

await client.setBalance({ address: NOBODY, value: 777n });
const state = await client.dumpState();
await client.setBalance({ address: NOBODY, value: 1n });
await client.loadState({ state });
out.loadedBalance = (await client.getBalance({ address: NOBODY })).toString();

console.log(JSON.stringify(out));
