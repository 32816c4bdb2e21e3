// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Where the L2ToL1MessagePasser predeploy takes a withdrawal to L1.
interface IL2ToL1MessagePasser {
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) external payable;
}

/// @title OperatorFeeVault, the OP Stack fee vault of the Isthmus operator fee.
/// @notice The implementation behind the proxy at `0x420000000000000000000000000000000000001b`
/// (code at `0xc0D3C0d3C0d3C0D3c0d3C0d3c0D3C0d3c0d3001B`); op-revm credits the operator fee of
/// every transaction to that address. The release of OP's contracts that phala-node pins (the npm
/// package `contracts-bedrock` of eth-optimism, 0.17.3) predates Isthmus and has no such vault; this one has
/// the interface of OP's Isthmus fee vaults (the same selectors and events: `RECIPIENT`/`recipient`,
/// `MIN_WITHDRAWAL_AMOUNT`/`minWithdrawalAmount`, `WITHDRAWAL_NETWORK`/`withdrawalNetwork`,
/// `totalProcessed`, `withdraw`, both `Withdrawal` events) and the same storage: `totalProcessed`
/// in slot 0, the withdrawal parameters as immutables set by the constructor at genesis.
contract OperatorFeeVault {
    /// Where `withdraw` sends the balance.
    enum WithdrawalNetwork {
        L1,
        L2
    }

    /// The least balance `withdraw` sends.
    uint256 public immutable MIN_WITHDRAWAL_AMOUNT;
    /// Who receives the fees.
    address public immutable RECIPIENT;
    /// On which network `RECIPIENT` receives them.
    WithdrawalNetwork public immutable WITHDRAWAL_NETWORK;

    /// Gas for the L1 side of a withdrawal to L1: the ETH transfer to the recipient, with room
    /// for a contract recipient.
    uint32 internal constant WITHDRAWAL_MIN_GAS = 400_000;
    /// The L2ToL1MessagePasser predeploy.
    IL2ToL1MessagePasser internal constant MESSAGE_PASSER =
        IL2ToL1MessagePasser(0x4200000000000000000000000000000000000016);

    /// Everything ever withdrawn.
    uint256 public totalProcessed;

    /// A withdrawal (the legacy event, kept next to the one with the network).
    event Withdrawal(uint256 value, address to, address from);
    /// A withdrawal to `to` on `withdrawalNetwork`.
    event Withdrawal(uint256 value, address to, address from, WithdrawalNetwork withdrawalNetwork);

    constructor(address _recipient, uint256 _minWithdrawalAmount, WithdrawalNetwork _withdrawalNetwork) {
        RECIPIENT = _recipient;
        MIN_WITHDRAWAL_AMOUNT = _minWithdrawalAmount;
        WITHDRAWAL_NETWORK = _withdrawalNetwork;
    }

    /// Fees arrive as plain transfers (and as balance credits from the executor).
    receive() external payable {}

    /// Semantic version of this implementation (phala-node's own, with the Isthmus interface).
    function version() external pure returns (string memory) {
        return "1.0.0+phala.isthmus";
    }

    /// `RECIPIENT`.
    function recipient() external view returns (address) {
        return RECIPIENT;
    }

    /// `MIN_WITHDRAWAL_AMOUNT`.
    function minWithdrawalAmount() external view returns (uint256) {
        return MIN_WITHDRAWAL_AMOUNT;
    }

    /// `WITHDRAWAL_NETWORK`.
    function withdrawalNetwork() external view returns (WithdrawalNetwork) {
        return WITHDRAWAL_NETWORK;
    }

    /// Sends the whole balance to `RECIPIENT` once it reaches `MIN_WITHDRAWAL_AMOUNT`: a plain
    /// transfer on L2, or a withdrawal through the L2ToL1MessagePasser to L1. Anyone may call it.
    function withdraw() external {
        uint256 value = address(this).balance;
        require(value >= MIN_WITHDRAWAL_AMOUNT, "FeeVault: balance is below the minimum withdrawal amount");
        totalProcessed += value;
        emit Withdrawal(value, RECIPIENT, msg.sender);
        emit Withdrawal(value, RECIPIENT, msg.sender, WITHDRAWAL_NETWORK);
        if (WITHDRAWAL_NETWORK == WithdrawalNetwork.L2) {
            (bool sent,) = RECIPIENT.call{value: value}("");
            require(sent, "FeeVault: the L2 recipient refused the fees");
        } else {
            MESSAGE_PASSER.initiateWithdrawal{value: value}(RECIPIENT, WITHDRAWAL_MIN_GAS, "");
        }
    }
}
