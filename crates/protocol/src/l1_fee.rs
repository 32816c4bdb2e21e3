//! The L1 data fee, the operator fee and the OP receipt fields of a transaction.
//!
//! All of it is computed by op-revm's own [`op_revm::L1BlockInfo`], the code the executor charges
//! with, so the fees reported over RPC are the fees charged. [`L1BlockInfo::to_op_revm`] builds
//! that struct from a decoded L1-info deposit the way op-revm's `L1BlockInfo::try_fetch` loads it
//! from the `L1Block` predeploy's storage after the deposit ran.
//!
//! Cost functions by fork (OP specs: bedrock/ecotone/fjord "L1 cost"): Bedrock and Regolith
//! `(dataGas + overhead) · l1BaseFee · scalar / 1e6` (Bedrock counts 68 extra non-zero bytes for
//! the signature); Ecotone `dataGas · (16 · l1BaseFee · baseFeeScalar + blobBaseFee ·
//! blobBaseFeeScalar) / 16e6`; Fjord the same weights over the FastLZ size estimate; Isthmus adds
//! the operator fee `gas · operatorFeeScalar / 1e6 + operatorFeeConstant` (Jovian:
//! `gas · operatorFeeScalar · 100 + operatorFeeConstant`).

use crate::l1_info::L1BlockInfo;
use alloy_primitives::U256;
use op_alloy_consensus::DEPOSIT_TX_TYPE_ID;
use op_revm::{OpSpecId, estimate_tx_compressed_size};

impl L1BlockInfo {
    /// op-revm's view of the fee parameters in a block under `spec` whose L1-info deposit
    /// carried `self`: field by field what `op_revm::L1BlockInfo::try_fetch` reads from the
    /// `L1Block` predeploy.
    ///
    /// Before Ecotone: base fee, overhead and scalar. From Ecotone: base fee, blob base fee and
    /// the two scalars, with op-revm's "empty scalars" flag when both scalars are zero (the
    /// Ecotone activation block, whose deposit is still in the Bedrock format); op-revm then
    /// also reads the overhead, which is `self.l1_fee_overhead` (exact for a Bedrock-format
    /// deposit; the predeploy would hold the last Bedrock overhead otherwise). From Isthmus the
    /// operator fee parameters, from Jovian the DA footprint gas scalar (zero when the format did
    /// not carry them, as in the predeploy at those activation blocks).
    pub fn to_op_revm(&self, spec: OpSpecId) -> op_revm::L1BlockInfo {
        let mut info = op_revm::L1BlockInfo { l1_base_fee: self.base_fee, ..Default::default() };
        if !spec.is_enabled_in(OpSpecId::ECOTONE) {
            info.l1_base_fee_scalar = self.l1_fee_scalar;
            info.l1_fee_overhead = Some(self.l1_fee_overhead);
            return info;
        }
        info.l1_blob_base_fee = Some(self.blob_base_fee);
        info.l1_base_fee_scalar = U256::from(self.base_fee_scalar);
        info.l1_blob_base_fee_scalar = Some(U256::from(self.blob_base_fee_scalar));
        info.empty_ecotone_scalars = self.base_fee_scalar == 0 && self.blob_base_fee_scalar == 0;
        if info.empty_ecotone_scalars {
            info.l1_fee_overhead = Some(self.l1_fee_overhead);
        }
        if spec.is_enabled_in(OpSpecId::ISTHMUS) {
            info.operator_fee_scalar = Some(U256::from(self.operator_fee_scalar));
            info.operator_fee_constant = Some(U256::from(self.operator_fee_constant));
        }
        if spec.is_enabled_in(OpSpecId::JOVIAN) {
            info.da_footprint_gas_scalar = Some(self.da_footprint_gas_scalar);
        }
        info
    }
}

/// The L1 data gas of a raw (EIP-2718) transaction under `spec`, without the Bedrock overhead:
/// calldata gas of its bytes before Fjord (plus 68 non-zero bytes before Regolith), the FastLZ
/// size estimate · 16 from Fjord.
pub fn l1_data_gas(raw_tx: &[u8], spec: OpSpecId) -> U256 {
    // `data_gas` reads no field of the struct.
    op_revm::L1BlockInfo::default().data_gas(raw_tx, spec)
}

/// Fjord's estimate of a raw transaction's compressed size, in millionths of a byte:
/// `max(100e6, 836500 · fastLzSize − 42585600)` (op-revm's `estimate_tx_compressed_size`, also
/// the basis of Jovian's DA footprint).
pub fn estimated_compressed_size(raw_tx: &[u8]) -> u64 {
    estimate_tx_compressed_size(raw_tx)
}

/// The L1 data fee of a raw (EIP-2718) transaction under `spec`; zero for a deposit.
pub fn l1_data_fee(l1_block: &op_revm::L1BlockInfo, raw_tx: &[u8], spec: OpSpecId) -> U256 {
    let mut l1_block = l1_block.clone();
    // The struct caches the last transaction's cost; this one must be computed afresh.
    l1_block.clear_tx_l1_cost();
    l1_block.calculate_tx_l1_cost(raw_tx, spec)
}

/// The operator fee of a raw transaction that used `gas_used` gas under `spec`: what remains
/// charged after op-revm's refund of the operator fee for unused gas. Zero before Isthmus, for a
/// deposit, and when `l1_block` holds no operator fee parameters.
pub fn operator_fee(
    l1_block: &op_revm::L1BlockInfo,
    raw_tx: &[u8],
    gas_used: u64,
    spec: OpSpecId,
) -> U256 {
    // op-revm panics on missing parameters; without them there is no operator fee.
    if !spec.is_enabled_in(OpSpecId::ISTHMUS)
        || l1_block.operator_fee_scalar.is_none()
        || l1_block.operator_fee_constant.is_none()
    {
        return U256::ZERO;
    }
    l1_block.operator_fee_charge(raw_tx, U256::from(gas_used), spec)
}

/// The OP fields of a non-deposit transaction's receipt (op-geth's `l1GasPrice`, `l1GasUsed`,
/// `l1Fee`, `l1FeeScalar`, `l1BaseFeeScalar`, `l1BlobBaseFee`, `l1BlobBaseFeeScalar`,
/// `operatorFeeScalar`, `operatorFeeConstant`, `daFootprintGasScalar` and, from Jovian,
/// `blobGasUsed`). `None` is a field the receipt omits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L1FeeReceiptFields {
    /// `l1GasPrice`: the L1 base fee.
    pub l1_gas_price: U256,
    /// `l1GasUsed`: the L1 data gas the fee was computed from (with the overhead under the
    /// Bedrock cost function; from Fjord the FastLZ estimate · 16).
    pub l1_gas_used: U256,
    /// `l1Fee`: the L1 data fee charged.
    pub l1_fee: U256,
    /// `l1FeeScalar` under the Bedrock cost function: the raw scalar, in millionths (op-geth
    /// prints it as a decimal, `scalar / 1e6`).
    pub l1_fee_scalar: Option<U256>,
    /// `l1BaseFeeScalar`, from Ecotone.
    pub l1_base_fee_scalar: Option<U256>,
    /// `l1BlobBaseFee`, from Ecotone.
    pub l1_blob_base_fee: Option<U256>,
    /// `l1BlobBaseFeeScalar`, from Ecotone.
    pub l1_blob_base_fee_scalar: Option<U256>,
    /// `operatorFeeScalar`, from Isthmus, when it or the constant is non-zero.
    pub operator_fee_scalar: Option<U256>,
    /// `operatorFeeConstant`, from Isthmus, when it or the scalar is non-zero.
    pub operator_fee_constant: Option<U256>,
    /// `daFootprintGasScalar`, from Jovian.
    pub da_footprint_gas_scalar: Option<u16>,
    /// The transaction's DA footprint (the receipt's `blobGasUsed`), from Jovian: the FastLZ
    /// size estimate in bytes times the DA footprint gas scalar.
    pub da_footprint_gas: Option<u64>,
}

/// The receipt fields of the raw (EIP-2718) transaction `raw_tx` in a block under `spec` with the
/// fee parameters `l1_block` ([`L1BlockInfo::to_op_revm`]); `None` for a deposit, whose receipt
/// has none of them.
pub fn l1_fee_receipt_fields(
    l1_block: &op_revm::L1BlockInfo,
    raw_tx: &[u8],
    spec: OpSpecId,
) -> Option<L1FeeReceiptFields> {
    if raw_tx.first() == Some(&DEPOSIT_TX_TYPE_ID) {
        return None;
    }
    // The cost function op-revm applies: Bedrock's before Ecotone and, between Ecotone and
    // Fjord, while the Ecotone scalars are unset.
    let bedrock_cost = !spec.is_enabled_in(OpSpecId::ECOTONE)
        || (!spec.is_enabled_in(OpSpecId::FJORD) && l1_block.empty_ecotone_scalars);
    let overhead =
        if bedrock_cost { l1_block.l1_fee_overhead.unwrap_or_default() } else { U256::ZERO };
    let ecotone = |value: Option<U256>| if bedrock_cost { None } else { value };
    let operator_fee_shown = spec.is_enabled_in(OpSpecId::ISTHMUS)
        && (l1_block.operator_fee_scalar.is_some_and(|scalar| !scalar.is_zero())
            || l1_block.operator_fee_constant.is_some_and(|constant| !constant.is_zero()));
    let operator = |value: Option<U256>| if operator_fee_shown { value } else { None };
    let jovian = spec.is_enabled_in(OpSpecId::JOVIAN);
    let da_footprint_gas_scalar =
        jovian.then(|| l1_block.da_footprint_gas_scalar.unwrap_or_default());
    Some(L1FeeReceiptFields {
        l1_gas_price: l1_block.l1_base_fee,
        l1_gas_used: l1_data_gas(raw_tx, spec).saturating_add(overhead),
        l1_fee: l1_data_fee(l1_block, raw_tx, spec),
        l1_fee_scalar: bedrock_cost.then_some(l1_block.l1_base_fee_scalar),
        l1_base_fee_scalar: ecotone(Some(l1_block.l1_base_fee_scalar)),
        l1_blob_base_fee: ecotone(l1_block.l1_blob_base_fee),
        l1_blob_base_fee_scalar: ecotone(l1_block.l1_blob_base_fee_scalar),
        operator_fee_scalar: operator(l1_block.operator_fee_scalar),
        operator_fee_constant: operator(l1_block.operator_fee_constant),
        da_footprint_gas_scalar,
        da_footprint_gas: da_footprint_gas_scalar.map(|scalar| {
            (estimated_compressed_size(raw_tx) / 1_000_000).saturating_mul(u64::from(scalar))
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l1_info::L1InfoFormat;
    use alloy_primitives::{Bytes, bytes};

    /// OP Mainnet block 118024092: L1-info calldata (Ecotone) and the transaction at index 1.
    const ECOTONE_CALLDATA: Bytes = bytes!(
        "440a5e2000000558000c5fc50000000000000000000000006605a89f00000000012a10d90000000000000000000000000000000000000000000000000000000af39ac3270000000000000000000000000000000000000000000000000000000d5ea528d24e582fa68786f080069bdbfe06a43f8e67bfd31b8e4d8a8837ba41da9a82a54a0000000000000000000000006887246668a3b87f54deb3b94ba47a6f63f32985"
    );
    const ECOTONE_TX: Bytes = bytes!(
        "02f8b30a832253fc8402d11f39842c8a46398301388094dc6ff44d5d932cbd77b52e5612ba0529dc6226f180b844a9059cbb000000000000000000000000d43e02db81f4d46cdf8521f623d21ea0ec7562a50000000000000000000000000000000000000000000000008ac7230489e80000c001a02947e24750723b48f886931562c55d9e07f856d8e06468e719755e18bbc3a570a0784da9ce59fd7754ea5be6e17a86b348e441348cd48ace59d174772465eadbd1"
    );

    #[test]
    fn ecotone_fee_of_a_mainnet_transaction() {
        let info = L1BlockInfo::decode(&ECOTONE_CALLDATA).unwrap();
        let l1_block = info.to_op_revm(OpSpecId::ECOTONE);
        let fields = l1_fee_receipt_fields(&l1_block, &ECOTONE_TX, OpSpecId::ECOTONE).unwrap();
        // The OP Mainnet explorer's values for 0xa75ef696…c2.
        assert_eq!(fields.l1_gas_used, U256::from(2456));
        assert_eq!(fields.l1_fee, U256::from(7_306_020_222_001_u64));
        assert_eq!(fields.l1_gas_price, U256::from(47_036_678_951_u64));
        assert_eq!(fields.l1_base_fee_scalar, Some(U256::from(1368)));
        assert_eq!(fields.l1_blob_base_fee_scalar, Some(U256::from(810_949)));
        assert_eq!(fields.l1_fee_scalar, None);
        assert_eq!(fields.operator_fee_scalar, None);
        assert_eq!(fields.da_footprint_gas_scalar, None);
        // The fee does not depend on a cost cached from another transaction.
        let mut cached = l1_block;
        cached.tx_l1_cost = Some(U256::from(1));
        assert_eq!(l1_data_fee(&cached, &ECOTONE_TX, OpSpecId::ECOTONE), fields.l1_fee);
    }

    #[test]
    fn bedrock_cost_counts_the_overhead() {
        let info = L1BlockInfo {
            base_fee: U256::from(1000),
            l1_fee_overhead: U256::from(1000),
            l1_fee_scalar: U256::from(1000),
            ..L1BlockInfo::default()
        };
        let tx = [0xfa, 0xca, 0xde];
        let l1_block = info.to_op_revm(OpSpecId::REGOLITH);
        let fields = l1_fee_receipt_fields(&l1_block, &tx, OpSpecId::REGOLITH).unwrap();
        // (3 · 16 + 1000) · 1000 · 1000 / 1e6
        assert_eq!(fields.l1_fee, U256::from(1048));
        assert_eq!(fields.l1_gas_used, U256::from(1048));
        assert_eq!(fields.l1_fee_scalar, Some(U256::from(1000)));
        assert_eq!(fields.l1_base_fee_scalar, None);
        assert_eq!(fields.l1_blob_base_fee, None);
        // Bedrock adds 68 non-zero bytes for the signature.
        assert_eq!(l1_data_gas(&tx, OpSpecId::BEDROCK), U256::from((3 + 68) * 16));
    }

    #[test]
    fn ecotone_activation_block_reads_like_op_revm() {
        // The Bedrock-format deposit of the Ecotone activation block leaves the Ecotone scalars
        // unset: op-revm then applies the Bedrock function with the (zero) packed scalar.
        let info = L1BlockInfo {
            base_fee: U256::from(1000),
            l1_fee_overhead: U256::from(2100),
            l1_fee_scalar: U256::from(1_000_000),
            ..L1BlockInfo::default()
        };
        let l1_block = info.to_op_revm(OpSpecId::ECOTONE);
        assert!(l1_block.empty_ecotone_scalars);
        assert_eq!(l1_block.l1_fee_overhead, Some(U256::from(2100)));
        let fields = l1_fee_receipt_fields(&l1_block, &[0xfa, 0xca, 0xde], OpSpecId::ECOTONE);
        let fields = fields.unwrap();
        assert_eq!(fields.l1_gas_used, U256::from(48 + 2100));
        assert_eq!(fields.l1_fee, U256::ZERO);
        assert_eq!(fields.l1_fee_scalar, Some(U256::ZERO));
    }

    #[test]
    fn deposits_have_no_fee_fields() {
        let l1_block = L1BlockInfo::default().to_op_revm(OpSpecId::ISTHMUS);
        assert_eq!(l1_fee_receipt_fields(&l1_block, &[0x7e, 0xc0], OpSpecId::ISTHMUS), None);
        assert_eq!(l1_data_fee(&l1_block, &[0x7e, 0xc0], OpSpecId::ISTHMUS), U256::ZERO);
        assert_eq!(operator_fee(&l1_block, &[0x7e, 0xc0], 21_000, OpSpecId::ISTHMUS), U256::ZERO);
    }

    #[test]
    fn operator_fee_by_fork() {
        let info = L1BlockInfo {
            base_fee_scalar: 1,
            operator_fee_scalar: 20_000,
            operator_fee_constant: 500,
            da_footprint_gas_scalar: 400,
            ..L1BlockInfo::default()
        };
        let tx = [0x02, 0x01];
        let fee = |spec| operator_fee(&info.to_op_revm(spec), &tx, 50_000, spec);
        assert_eq!(fee(OpSpecId::HOLOCENE), U256::ZERO);
        // 50_000 · 20_000 / 1e6 + 500
        assert_eq!(fee(OpSpecId::ISTHMUS), U256::from(1500));
        // 50_000 · 20_000 · 100 + 500
        assert_eq!(fee(OpSpecId::JOVIAN), U256::from(100_000_000_500_u64));
        // No parameters (a hand-built struct), no fee and no panic.
        assert_eq!(operator_fee(&Default::default(), &tx, 1, OpSpecId::ISTHMUS), U256::ZERO);

        let isthmus = info.to_op_revm(OpSpecId::ISTHMUS);
        let fields = l1_fee_receipt_fields(&isthmus, &tx, OpSpecId::ISTHMUS).unwrap();
        assert_eq!(fields.operator_fee_scalar, Some(U256::from(20_000)));
        assert_eq!(fields.operator_fee_constant, Some(U256::from(500)));
        assert_eq!(fields.da_footprint_gas_scalar, None);

        let jovian = info.to_op_revm(OpSpecId::JOVIAN);
        let fields = l1_fee_receipt_fields(&jovian, &tx, OpSpecId::JOVIAN).unwrap();
        assert_eq!(fields.da_footprint_gas_scalar, Some(400));
        // A tiny transaction is estimated at the 100-byte minimum.
        assert_eq!(estimated_compressed_size(&tx), 100_000_000);
        assert_eq!(fields.da_footprint_gas, Some(100 * 400));

        let zero = L1BlockInfo { operator_fee_scalar: 0, operator_fee_constant: 0, ..info };
        let fields =
            l1_fee_receipt_fields(&zero.to_op_revm(OpSpecId::ISTHMUS), &tx, OpSpecId::ISTHMUS);
        assert_eq!(fields.unwrap().operator_fee_scalar, None);
    }

    #[test]
    fn formats_decode_to_the_fork_fields() {
        let info = L1BlockInfo::decode(&ECOTONE_CALLDATA).unwrap();
        let isthmus = L1BlockInfo::decode(&info.encode(L1InfoFormat::Isthmus)).unwrap();
        let l1_block = isthmus.to_op_revm(OpSpecId::HOLOCENE);
        assert_eq!(l1_block.operator_fee_scalar, None);
        let l1_block = isthmus.to_op_revm(OpSpecId::ISTHMUS);
        assert_eq!(l1_block.operator_fee_scalar, Some(U256::ZERO));
        assert_eq!(l1_block.da_footprint_gas_scalar, None);
    }
}
