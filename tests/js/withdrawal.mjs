// Drives a deposit and a full withdrawal against a running `phala-node devnet` with viem's
// unmodified OP Stack actions, and prints what it saw as one JSON object.
// Usage: node withdrawal.mjs <devnet.json>
import { readFileSync } from 'node:fs';
import { createPublicClient, createWalletClient, defineChain, http, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  chainConfig,
  getL2TransactionHashes,
  publicActionsL1,
  publicActionsL2,
  walletActionsL1,
  walletActionsL2,
} from 'viem/op-stack';

const infoPath = process.argv[2];
if (!infoPath) {
  console.error('usage: node withdrawal.mjs <devnet.json>');
  process.exit(2);
}
const info = JSON.parse(readFileSync(infoPath, 'utf8'));
const nativeCurrency = { name: 'Ether', symbol: 'ETH', decimals: 18 };

const l1Chain = defineChain({
  id: info.l1.chainId,
  name: 'devnet-l1',
  nativeCurrency,
  rpcUrls: { default: { http: [info.l1.rpc] } },
  contracts: { multicall3: { address: '0xcA11bde05977b3631167028862bE2a173976CA11' } },
});
const l2Chain = defineChain({
  ...chainConfig,
  id: info.l2.chainId,
  name: 'phala-devnet',
  nativeCurrency,
  rpcUrls: { default: { http: [info.l2.rpc] } },
  sourceId: info.l1.chainId,
  contracts: {
    ...chainConfig.contracts,
    portal: { [info.l1.chainId]: { address: info.addresses.OptimismPortalProxy } },
    l2OutputOracle: { [info.l1.chainId]: { address: info.addresses.L2OutputOracleProxy } },
    l1StandardBridge: { [info.l1.chainId]: { address: info.addresses.L1StandardBridgeProxy } },
  },
});

// anvil / dev account 6 of the "test test ... junk" mnemonic: it deposits, withdraws, proves and
// finalizes itself.
const account = privateKeyToAccount(
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
);
const l1Public = createPublicClient({ chain: l1Chain, transport: http() }).extend(publicActionsL1());
const l1Wallet = createWalletClient({ account, chain: l1Chain, transport: http() }).extend(
  walletActionsL1(),
);
const l2Public = createPublicClient({ chain: l2Chain, transport: http() }).extend(publicActionsL2());
const l2Wallet = createWalletClient({ account, chain: l2Chain, transport: http() }).extend(
  walletActionsL2(),
);
const out = { address: account.address, statuses: [] };

// A deposit through the portal; its L2 transaction hash is derived from the L1 receipt.
const depositArgs = await l2Public.buildDepositTransaction({
  mint: parseEther('1'),
  to: account.address,
});
const depositHash = await l1Wallet.depositTransaction(depositArgs);
const depositReceipt = await l1Public.waitForTransactionReceipt({ hash: depositHash });
const [l2DepositHash] = getL2TransactionHashes(depositReceipt);
const l2DepositReceipt = await l2Public.waitForTransactionReceipt({ hash: l2DepositHash });
out.deposit = { l1: depositHash, l2: l2DepositHash, l2Status: l2DepositReceipt.status };

// The L1 fee views the GasPriceOracle serves.
out.l1BaseFee = (await l2Public.getL1BaseFee()).toString();
out.estimatedL1Fee = (
  await l2Public.estimateL1Fee({ account, to: account.address, value: 1n })
).toString();

// viem's waitToProve reads the oracle's latestOutputIndex(), which reverts while the oracle has
// no output at all (a fresh devnet, before the proposer's first interval): wait for one.
const oracleAbi = [
  {
    type: 'function',
    name: 'nextOutputIndex',
    stateMutability: 'view',
    inputs: [],
    outputs: [{ type: 'uint256' }],
  },
];
while (
  (await l1Public.readContract({
    address: info.addresses.L2OutputOracleProxy,
    abi: oracleAbi,
    functionName: 'nextOutputIndex',
  })) === 0n
) {
  await new Promise((resolve) => setTimeout(resolve, 500));
}

// A withdrawal through the L2ToL1MessagePasser.
const withdrawalArgs = await l1Public.buildInitiateWithdrawal({
  account,
  to: account.address,
  value: parseEther('0.25'),
});
const withdrawalHash = await l2Wallet.initiateWithdrawal(withdrawalArgs);
const withdrawalReceipt = await l2Public.waitForTransactionReceipt({ hash: withdrawalHash });
out.withdrawal = { l2: withdrawalHash, l2Block: withdrawalReceipt.blockNumber.toString() };
const status = async () =>
  out.statuses.push(
    await l1Public.getWithdrawalStatus({ receipt: withdrawalReceipt, targetChain: l2Chain }),
  );
await status();

const { output, withdrawal } = await l1Public.waitToProve({
  receipt: withdrawalReceipt,
  targetChain: l2Chain,
  pollingInterval: 500,
});
out.output = {
  index: output.outputIndex.toString(),
  l2Block: output.l2BlockNumber.toString(),
  root: output.outputRoot,
};
out.withdrawalHash = withdrawal.withdrawalHash;
await status();
const proveArgs = await l2Public.buildProveWithdrawal({ account, output, withdrawal });
const proveHash = await l1Wallet.proveWithdrawal(proveArgs);
const proveReceipt = await l1Public.waitForTransactionReceipt({ hash: proveHash });
out.prove = { l1: proveHash, status: proveReceipt.status, gasUsed: proveReceipt.gasUsed.toString() };
await status();

await l1Public.waitToFinalize({
  targetChain: l2Chain,
  withdrawalHash: withdrawal.withdrawalHash,
  pollingInterval: 500,
});
await status();
const balanceBefore = await l1Public.getBalance({ address: account.address });
const finalizeHash = await l1Wallet.finalizeWithdrawal({ targetChain: l2Chain, withdrawal });
const finalizeReceipt = await l1Public.waitForTransactionReceipt({ hash: finalizeHash });
const balanceAfter = await l1Public.getBalance({ address: account.address });
out.finalize = {
  l1: finalizeHash,
  status: finalizeReceipt.status,
  gasUsed: finalizeReceipt.gasUsed.toString(),
  // What the account received, net of the gas it paid for the finalizing transaction.
  received: (
    balanceAfter -
    balanceBefore +
    finalizeReceipt.gasUsed * finalizeReceipt.effectiveGasPrice
  ).toString(),
};
await status();

console.log(JSON.stringify(out));
