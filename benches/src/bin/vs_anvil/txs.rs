//! The benchmark's accounts and transactions, signed before any timing starts: the same bytes
//! go to both nodes, so both do exactly the same work.

use crate::procs::CHAIN_ID;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, crypto::secp256k1};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, b256, keccak256};
use alloy_sol_types::{SolCall, SolValue, sol};

sol! {
    function transfer(address to, uint256 amount) returns (bool);
    function balanceOf(address holder) returns (uint256);
    function write(uint256 key, uint256 value);
}

/// The first account of the shared mnemonic (anvil's account 0, our first dev account).
const DEV_KEY: B256 = b256!("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
/// What each sender is given, in wei (10 ETH) and in tokens.
const SENDER_FUNDS: u128 = 10_000_000_000_000_000_000;
/// Fee caps every transaction carries: far above both nodes' base fees under this load.
const MAX_FEE: u128 = 200_000_000_000;
const PRIORITY_FEE: u128 = 1_000_000_000;

/// The kinds of transaction the sequencing loads mix.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    EthTransfer,
    TokenTransfer,
    StorageWrite,
}

impl Kind {
    const ALL: [Self; 3] = [Self::EthTransfer, Self::TokenTransfer, Self::StorageWrite];

    /// A gas limit above what the call uses.
    const fn gas_limit(self) -> u64 {
        match self {
            Self::EthTransfer => 21_000,
            Self::TokenTransfer => 80_000,
            Self::StorageWrite => 80_000,
        }
    }
}

/// A signed transaction.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub(crate) hash: B256,
    /// `0x`-hex of the EIP-2718 encoding.
    pub(crate) raw: String,
}

struct Account {
    secret: B256,
    address: Address,
    nonce: u64,
}

impl Account {
    fn new(secret: B256) -> Self {
        let probe = keccak256("vs-anvil address probe");
        let signature = secp256k1::sign_message(secret, probe).expect("a valid key");
        let address = secp256k1::recover_signer(&signature, probe).expect("recoverable");
        Self { secret, address, nonce: 0 }
    }

    fn sign(&mut self, to: TxKind, input: Bytes, value: U256, gas_limit: u64) -> Signed {
        let tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: self.nonce,
            gas_limit,
            max_fee_per_gas: MAX_FEE,
            max_priority_fee_per_gas: PRIORITY_FEE,
            to,
            value,
            input,
            ..Default::default()
        };
        self.nonce += 1;
        let signature = secp256k1::sign_message(self.secret, tx.signature_hash()).expect("a key");
        let envelope = TxEnvelope::Eip1559(tx.into_signed(signature));
        Signed {
            hash: *envelope.tx_hash(),
            raw: format!("0x{}", alloy_primitives::hex::encode(envelope.encoded_2718())),
        }
    }
}

/// The dev account, the senders, and the two contracts the dev account deploys.
pub(crate) struct Wallets {
    dev: Account,
    senders: Vec<Account>,
    /// The benchmark ERC-20 (`contracts/src/bench/BenchToken.sol`).
    pub(crate) token: Address,
    /// The storage load (`contracts/src/bench/StorageWriter.sol`).
    pub(crate) writer: Address,
    /// Keys the storage writes use, per sender, so that each write takes a new slot.
    next_key: u64,
}

fn creation_code(artifact: &str) -> Vec<u8> {
    let artifact: serde_json::Value = serde_json::from_str(artifact).expect("a contract artifact");
    let hex = artifact["bytecode"].as_str().expect("creation bytecode");
    alloy_primitives::hex::decode(hex).expect("hex bytecode")
}

impl Wallets {
    /// `count` senders with deterministic keys; nothing is on chain yet.
    pub(crate) fn new(count: usize) -> Self {
        let dev = Account::new(DEV_KEY);
        let senders = (0..count as u64)
            .map(|i| {
                Account::new(keccak256([b"vs-anvil sender".as_slice(), &i.to_be_bytes()].concat()))
            })
            .collect();
        let token = dev.address.create(count as u64);
        let writer = dev.address.create(count as u64 + 1);
        Self { dev, senders, token, writer, next_key: 0 }
    }

    pub(crate) fn sender(&self, index: usize) -> Address {
        self.senders[index].address
    }

    /// From the dev account: ETH to every sender, then the token (with a balance for every
    /// sender) and the storage writer.
    pub(crate) fn setup(&mut self) -> Vec<Signed> {
        let mut txs: Vec<Signed> = (0..self.senders.len())
            .map(|i| {
                let to = self.senders[i].address;
                self.dev.sign(TxKind::Call(to), Bytes::new(), U256::from(SENDER_FUNDS), 21_000)
            })
            .collect();
        let holders: Vec<Address> = self.senders.iter().map(|s| s.address).collect();
        let mut token = creation_code(include_str!("../../../../contracts/out/BenchToken.json"));
        token.extend((holders, U256::from(SENDER_FUNDS)).abi_encode_params());
        // About 30,000 gas per holder minted to; within Osaka's 2^24 cap for the sender counts used.
        let gas = (1_000_000 + 40_000 * self.senders.len() as u64).min(16_000_000);
        txs.push(self.dev.sign(TxKind::Create, token.into(), U256::ZERO, gas));
        let writer = creation_code(include_str!("../../../../contracts/out/StorageWriter.json"));
        txs.push(self.dev.sign(TxKind::Create, writer.into(), U256::ZERO, 500_000));
        txs
    }

    /// Transaction `i` of a mixed load: sender `i mod n`, kind `i mod 3`.
    pub(crate) fn mixed(&mut self, i: usize) -> Signed {
        let kind = Kind::ALL[i % Kind::ALL.len()];
        self.signed(i % self.senders.len(), kind)
    }

    /// `count` ETH transfers, round-robin over the senders.
    pub(crate) fn transfers(&mut self, count: usize) -> Vec<Signed> {
        (0..count).map(|i| self.signed(i % self.senders.len(), Kind::EthTransfer)).collect()
    }

    fn signed(&mut self, index: usize, kind: Kind) -> Signed {
        let to_peer = self.senders[(index + 1) % self.senders.len()].address;
        let (to, input, value) = match kind {
            Kind::EthTransfer => (to_peer, Bytes::new(), U256::from(1)),
            Kind::TokenTransfer => {
                let call = transferCall { to: to_peer, amount: U256::from(1) };
                (self.token, call.abi_encode().into(), U256::ZERO)
            }
            Kind::StorageWrite => {
                self.next_key += 1;
                let call = writeCall { key: U256::from(self.next_key), value: U256::from(1) };
                (self.writer, call.abi_encode().into(), U256::ZERO)
            }
        };
        self.senders[index].sign(TxKind::Call(to), input, value, kind.gas_limit())
    }
}

/// Calldata of `balanceOf(holder)`.
pub(crate) fn balance_of(holder: Address) -> Bytes {
    balanceOfCall { holder }.abi_encode().into()
}
