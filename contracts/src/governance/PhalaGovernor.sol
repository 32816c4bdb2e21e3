// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Phala governance: proposals voted with vPHA, executed through the timelock.
/// @notice A genesis predeploy at `0x5048410000000000000000000000000000000004`. Votes are vPHA
/// balances (staked PHA); the clock is the vault's, which counts seconds, so the voting delay and
/// period are in seconds. Quorum is a percentage of the vPHA that can vote at the proposal's
/// snapshot — the supply less what protocol contracts hold (stake pools, unclaimed migration
/// stake, the vault's burnt genesis shares), which no one can vote with — and never less than
/// `minQuorum`, so a young chain with little stake cannot be governed by its first staker.
contract PhalaGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// The lowest quorum, in vPHA, whatever the supply.
    uint256 public minQuorum;
    /// Holders whose vPHA cannot vote and does not count toward the quorum.
    address[] private _nonVotingHolders;

    /// The minimum quorum changed.
    event MinQuorumSet(uint256 minQuorum);

    /// The governor of `votes`, executing through `timelock`.
    constructor(
        IVotes votes,
        TimelockController timelock,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumPercent,
        uint256 minQuorum_,
        address[] memory nonVotingHolders_
    )
        Governor("Phala Governor")
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(votes)
        GovernorVotesQuorumFraction(quorumPercent)
        GovernorTimelockControl(timelock)
    {
        minQuorum = minQuorum_;
        _nonVotingHolders = nonVotingHolders_;
        emit MinQuorumSet(minQuorum_);
    }

    /// Sets the minimum quorum (through a proposal).
    function setMinQuorum(uint256 minQuorum_) external onlyGovernance {
        minQuorum = minQuorum_;
        emit MinQuorumSet(minQuorum_);
    }

    /// The holders excluded from the quorum's base.
    function nonVotingHolders() external view returns (address[] memory) {
        return _nonVotingHolders;
    }

    /// @inheritdoc Governor
    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    /// @inheritdoc Governor
    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    /// @inheritdoc Governor
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    /// `quorumNumerator` percent of the vPHA able to vote at `timepoint`, at least `minQuorum`.
    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        uint256 base = token().getPastTotalSupply(timepoint);
        for (uint256 i = 0; i < _nonVotingHolders.length; i++) {
            // They delegate to themselves (vPHA's default) and cannot vote: their votes are
            // their balance, and all votes together never exceed the supply.
            base -= token().getPastVotes(_nonVotingHolders[i], timepoint);
        }
        uint256 fraction = Math.mulDiv(base, quorumNumerator(timepoint), quorumDenominator());
        return fraction > minQuorum ? fraction : minQuorum;
    }

    /// @inheritdoc Governor
    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    /// @inheritdoc Governor
    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
