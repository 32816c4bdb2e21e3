// Sends transactions to a running phala-node --dev with unmodified ethers and viem (viem with
// its OP Stack chain config and L2 actions), and prints what they saw as one JSON object.
// Usage: node wallets.mjs <http-rpc-url>
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { createPublicClient, createWalletClient, defineChain, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { chainConfig, publicActionsL2 } from 'viem/op-stack';

const url = process.argv[2];
if (!url) {
  console.error('usage: node wallets.mjs <http-rpc-url>');
  process.exit(2);
}
// Dev accounts 1 and 2 of the "test test ... junk" mnemonic; account 3 receives.
const ETHERS_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const VIEM_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const TO = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';

const out = {};

// ethers: chain id from the node, EIP-1559 fees from eth_feeHistory / eth_maxPriorityFeePerGas,
// nonce, gas estimate, signing, eth_sendRawTransaction, receipt polling.
const provider = new JsonRpcProvider(url);
const network = await provider.getNetwork();
const wallet = new Wallet(ETHERS_KEY, provider);
const sent = await wallet.sendTransaction({ to: TO, value: parseEther('0.001') });
const mined = await sent.wait();
out.ethers = {
  chainId: network.chainId.toString(),
  hash: sent.hash,
  status: mined.status,
  blockNumber: mined.blockNumber,
};

// viem with the OP Stack formatters: receipts parsed with their L1 fee fields, deposits as
// deposit transactions, and estimateL1Fee through the GasPriceOracle predeploy.
const chain = defineChain({
  ...chainConfig,
  id: 1337,
  name: 'phala-dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
const account = privateKeyToAccount(VIEM_KEY);
const client = createPublicClient({ chain, transport: http(url) }).extend(publicActionsL2());
const walletClient = createWalletClient({ account, chain, transport: http(url) });
const estimatedL1Fee = await client.estimateL1Fee({ account, to: TO, value: 1000n });
const hash = await walletClient.sendTransaction({ to: TO, value: 1000n });
const receipt = await client.waitForTransactionReceipt({ hash });
const block = await client.getBlock({ blockNumber: receipt.blockNumber, includeTransactions: true });
const first = block.transactions[0];
out.viem = {
  hash,
  status: receipt.status,
  l1Fee: receipt.l1Fee?.toString(),
  estimatedL1Fee: estimatedL1Fee.toString(),
  firstTransactionType: first.type,
  firstTransactionSourceHash: first.sourceHash,
  firstTransactionIsSystemTx: first.isSystemTx,
};

console.log(JSON.stringify(out));
