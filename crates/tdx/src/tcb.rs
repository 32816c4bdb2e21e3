//! QE Identity and platform TCB evaluation.
//!
//! These are the appraisal steps that dcap-qvl 0.7.1 keeps private. They are written here
//! on top of dcap-qvl's public collateral types and helpers ([`TcbLevel::shortfalls`],
//! [`TcbInfo::tdx_module_identity`], [`TdxModuleTcbLevel::shortfall`],
//! [`TcbStatusWithAdvisory::merge`]) and follow dcap-qvl's rules (which follow Intel's QVL);
//! the crate's tests compare the results with dcap-qvl's own verifier on every fixture.

use crate::Status;
use dcap_qvl::{
    QeIdentity, QeTcbLevel, TcbInfo, TcbLevel, TcbStatus, TcbStatusWithAdvisory,
    quote::{EnclaveReport, Report, TDReport10},
    tcb_info::TdxModuleTcbLevel,
};

/// TCB statuses Intel's QVL accepts in a TCB Info level.
const TCB_INFO_STATUSES: &[TcbStatus] = &[
    TcbStatus::UpToDate,
    TcbStatus::OutOfDate,
    TcbStatus::ConfigurationNeeded,
    TcbStatus::Revoked,
    TcbStatus::OutOfDateConfigurationNeeded,
    TcbStatus::SWHardeningNeeded,
    TcbStatus::ConfigurationAndSWHardeningNeeded,
];
/// TCB statuses accepted in a TDX module identity level.
const TDX_MODULE_STATUSES: &[TcbStatus] =
    &[TcbStatus::UpToDate, TcbStatus::OutOfDate, TcbStatus::Revoked];
/// TCB statuses accepted in a QE Identity level.
const QE_IDENTITY_STATUSES: &[TcbStatus] = &[
    TcbStatus::UpToDate,
    TcbStatus::OutOfDate,
    TcbStatus::ConfigurationNeeded,
    TcbStatus::Revoked,
    TcbStatus::OutOfDateConfigurationNeeded,
];

/// Checks the QE report against the QE Identity and returns the QE's TCB level.
/// Every failure is [`Status::Qe`].
pub(crate) fn check_qe_identity(
    qe: &EnclaveReport,
    identity: &QeIdentity,
) -> Result<QeTcbLevel, Status> {
    let debug = qe.attributes[0] & 0x02 != 0;
    let misc_mask = u32::from_le_bytes(identity.miscselect_mask);
    let misc_ok = qe.misc_select & misc_mask == u32::from_le_bytes(identity.miscselect) & misc_mask;
    let attrs_ok = qe
        .attributes
        .iter()
        .zip(identity.attributes.iter().zip(&identity.attributes_mask))
        .all(|(have, (want, mask))| have & mask == want & mask);
    if qe.mr_signer != identity.mrsigner
        || debug
        || qe.isv_prod_id != identity.isvprodid
        || !misc_ok
        || !attrs_ok
    {
        return Err(Status::Qe);
    }
    // Levels are listed from the highest ISVSVN down: take the first one met.
    let level = identity
        .tcb_levels
        .iter()
        .find(|level| qe.isv_svn >= level.tcb.isvsvn)
        .ok_or(Status::Qe)?;
    if !QE_IDENTITY_STATUSES.contains(&level.tcb_status) {
        return Err(Status::Qe);
    }
    Ok(level.clone())
}

/// Outcome of a successful TCB evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TcbEvaluation {
    /// Final status (platform, TDX module, QE, TD relaunch converged).
    pub(crate) status: TcbStatus,
    /// Advisories of all matched levels, without duplicates, in match order.
    pub(crate) advisory_ids: Vec<String>,
    /// `tcbDate` of the matched platform level (the older of platform and module dates).
    pub(crate) tcb_date: u64,
}

/// The PCK certificate values the platform TCB is matched with.
pub(crate) struct PlatformSvns<'a> {
    pub(crate) fmspc: &'a [u8; 6],
    pub(crate) cpu_svn: &'a [u8; 16],
    pub(crate) pce_svn: u16,
}

/// Matches the platform TCB and converges it with the QE TCB level.
///
/// Fails with [`Status::TcbRevoked`] when the result is revoked and with
/// [`Status::TcbNoMatch`] on any other failure (FMSPC or TEE type of the TCB Info differs,
/// no level met, TDX module identity unknown or mismatched, malformed level data).
pub(crate) fn evaluate(
    tcb_info: &TcbInfo,
    report: &Report,
    platform: &PlatformSvns<'_>,
    qe_level: &QeTcbLevel,
) -> Result<TcbEvaluation, Status> {
    const NO_MATCH: Status = Status::TcbNoMatch;
    let fmspc = decode_hex::<6>(&tcb_info.fmspc).ok_or(NO_MATCH)?;
    if &fmspc != platform.fmspc {
        return Err(NO_MATCH);
    }
    let levels = canonical_levels(tcb_info);
    let (level, current) = match report {
        Report::SgxEnclave(_) => {
            if tcb_info.version < 2 || tcb_info.id != "SGX" {
                return Err(NO_MATCH);
            }
            let level = first_met(&levels, platform, None)?.clone();
            (level, None)
        }
        _ => {
            if tcb_info.version < 3 || tcb_info.id != "TDX" {
                return Err(NO_MATCH);
            }
            let td = report.as_td10().ok_or(NO_MATCH)?;
            let level = tdx_level(tcb_info, &levels, platform, &td.tee_tcb_svn)?;
            check_tdx_module(tcb_info, td)?;
            // A TD 1.5 report also carries the current TCB (after a TD-preserving module
            // update), which must be appraisable too.
            let current = report
                .as_td15()
                .map(|td15| tdx_level(tcb_info, &levels, platform, &td15.tee_tcb_svn2))
                .transpose()?;
            (level, current)
        }
    };

    let qe_status = TcbStatusWithAdvisory::new(qe_level.tcb_status, qe_level.advisory_ids.clone());
    let mut merged =
        TcbStatusWithAdvisory::new(level.tcb_status, level.advisory_ids.clone()).merge(&qe_status);
    let current_status = current.as_ref().map(|c| converge(c.tcb_status, qe_level.tcb_status));
    if merged.status == TcbStatus::Revoked || current_status == Some(TcbStatus::Revoked) {
        return Err(Status::TcbRevoked);
    }
    if let Some(current_status) = current_status {
        merged.status = relaunch(merged.status, current_status);
    }
    Ok(TcbEvaluation {
        status: merged.status,
        advisory_ids: merged.advisory_ids,
        tcb_date: crate::collateral::parse_rfc3339(&level.tcb_date).ok_or(NO_MATCH)?,
    })
}

/// The TCB levels in Intel QVL's canonical order (not the JSON order): SGX components,
/// then PCE SVN, then (TDX only) TDX components, each compared lexicographically,
/// highest first. The sort is stable.
fn canonical_levels(tcb_info: &TcbInfo) -> Vec<TcbLevel> {
    let is_tdx = tcb_info.version >= 3 && tcb_info.id == "TDX";
    let mut levels = tcb_info.tcb_levels.clone();
    levels.sort_by(|a, b| {
        b.tcb
            .sgx_components
            .cmp(&a.tcb.sgx_components)
            .then_with(|| b.tcb.pce_svn.cmp(&a.tcb.pce_svn))
            .then_with(|| {
                if is_tdx {
                    b.tcb.tdx_components.cmp(&a.tcb.tdx_components)
                } else {
                    core::cmp::Ordering::Equal
                }
            })
    });
    levels
}

/// The first level all of whose components the platform meets.
fn first_met<'a>(
    levels: &'a [TcbLevel],
    platform: &PlatformSvns<'_>,
    tee_tcb_svn: Option<&[u8; 16]>,
) -> Result<&'a TcbLevel, Status> {
    for level in levels {
        let shortfalls = level
            .shortfalls(platform.cpu_svn, platform.pce_svn, tee_tcb_svn)
            .map_err(|_| Status::TcbNoMatch)?;
        if shortfalls.is_empty() {
            if !TCB_INFO_STATUSES.contains(&level.tcb_status) {
                return Err(Status::TcbNoMatch);
            }
            return Ok(level);
        }
    }
    Err(Status::TcbNoMatch)
}

/// The platform level for `tee_tcb_svn`, converged with the TDX module level the same SVNs
/// select (status, advisories, and the older of the two dates).
fn tdx_level(
    tcb_info: &TcbInfo,
    levels: &[TcbLevel],
    platform: &PlatformSvns<'_>,
    tee_tcb_svn: &[u8; 16],
) -> Result<TcbLevel, Status> {
    let mut level = first_met(levels, platform, Some(tee_tcb_svn))?.clone();
    let Some(module) = module_level(tcb_info, tee_tcb_svn)? else {
        return Ok(level);
    };
    level.tcb_status = converge(level.tcb_status, module.tcb_status);
    for id in &module.advisory_ids {
        if !level.advisory_ids.contains(id) {
            level.advisory_ids.push(id.clone());
        }
    }
    let module_date =
        crate::collateral::parse_rfc3339(&module.tcb_date).ok_or(Status::TcbNoMatch)?;
    let level_date = crate::collateral::parse_rfc3339(&level.tcb_date).ok_or(Status::TcbNoMatch)?;
    if module_date < level_date {
        level.tcb_date = module.tcb_date.clone();
    }
    Ok(level)
}

/// The TDX module level met by the module ISVSVN (`tee_tcb_svn[0]`), if the module
/// version (`tee_tcb_svn[1]`) is non-zero.
fn module_level<'a>(
    tcb_info: &'a TcbInfo,
    tee_tcb_svn: &[u8; 16],
) -> Result<Option<&'a TdxModuleTcbLevel>, Status> {
    let Some(identity) =
        tcb_info.tdx_module_identity(tee_tcb_svn).map_err(|_| Status::TcbNoMatch)?
    else {
        return Ok(None);
    };
    let level = identity
        .tcb_levels
        .iter()
        .find(|level| level.shortfall(tee_tcb_svn).is_none())
        .ok_or(Status::TcbNoMatch)?;
    if !TDX_MODULE_STATUSES.contains(&level.tcb_status) {
        return Err(Status::TcbNoMatch);
    }
    Ok(Some(level))
}

/// The TD report's SEAM module signer and attributes must match the TCB Info's module
/// identity (the one for the module version, else the base `tdxModule`).
fn check_tdx_module(tcb_info: &TcbInfo, td: &TDReport10) -> Result<(), Status> {
    const NO_MATCH: Status = Status::TcbNoMatch;
    let base = tcb_info.tdx_module.as_ref().ok_or(NO_MATCH)?;
    let (mrsigner, attributes, mask) =
        match tcb_info.tdx_module_identity(&td.tee_tcb_svn).map_err(|_| NO_MATCH)? {
            Some(id) => (&id.mrsigner, &id.attributes, &id.attributes_mask),
            None => (&base.mrsigner, &base.attributes, &base.attributes_mask),
        };
    let mrsigner = decode_hex::<48>(mrsigner).ok_or(NO_MATCH)?;
    let attributes = decode_hex::<8>(attributes).ok_or(NO_MATCH)?;
    let mask = decode_hex::<8>(mask).ok_or(NO_MATCH)?;
    if td.mr_signer_seam != mrsigner {
        return Err(NO_MATCH);
    }
    let attrs_ok = td
        .seam_attributes
        .iter()
        .zip(attributes.iter().zip(&mask))
        .all(|(have, (want, mask))| have & mask == want & mask && have & !mask == 0);
    if !attrs_ok {
        return Err(NO_MATCH);
    }
    Ok(())
}

/// Converges a platform status with a component (QE or TDX module) status with Intel QVL's
/// rule, using dcap-qvl's own implementation through [`TcbStatusWithAdvisory::merge`].
fn converge(platform: TcbStatus, component: TcbStatus) -> TcbStatus {
    TcbStatusWithAdvisory::new(platform, Vec::new())
        .merge(&TcbStatusWithAdvisory::new(component, Vec::new()))
        .status
}

/// Combines the launch and current statuses of a TD 1.5 (Intel QVL's `checkForRelaunch`):
/// a TD launched on an out-of-date TCB whose current TCB is no longer out of date should be
/// relaunched.
fn relaunch(launch: TcbStatus, current: TcbStatus) -> TcbStatus {
    use TcbStatus::*;
    let configuration_needed = |s: TcbStatus| {
        matches!(
            s,
            ConfigurationNeeded
                | OutOfDateConfigurationNeeded
                | ConfigurationAndSWHardeningNeeded
                | TDRelaunchAdvisedConfigurationNeeded
        )
    };
    match (launch, current) {
        (
            OutOfDate | OutOfDateConfigurationNeeded,
            UpToDate | SWHardeningNeeded | ConfigurationNeeded | ConfigurationAndSWHardeningNeeded,
        ) => {
            if configuration_needed(launch) || configuration_needed(current) {
                TDRelaunchAdvisedConfigurationNeeded
            } else {
                TDRelaunchAdvised
            }
        }
        _ => launch,
    }
}

/// Strict hex (no prefix, either case) of exactly `N` bytes.
fn decode_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if bytes.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TcbStatus::*;

    #[test]
    fn relaunch_table() {
        for (launch, current, expected) in [
            (OutOfDate, UpToDate, TDRelaunchAdvised),
            (OutOfDate, SWHardeningNeeded, TDRelaunchAdvised),
            (OutOfDate, ConfigurationNeeded, TDRelaunchAdvisedConfigurationNeeded),
            (OutOfDateConfigurationNeeded, UpToDate, TDRelaunchAdvisedConfigurationNeeded),
            (OutOfDate, OutOfDate, OutOfDate),
            (OutOfDate, Revoked, OutOfDate),
            (UpToDate, UpToDate, UpToDate),
            (ConfigurationNeeded, UpToDate, ConfigurationNeeded),
        ] {
            assert_eq!(relaunch(launch, current), expected, "{launch:?} {current:?}");
        }
    }

    #[test]
    fn converge_uses_component_rule() {
        assert_eq!(converge(UpToDate, OutOfDate), OutOfDate);
        assert_eq!(converge(ConfigurationNeeded, OutOfDate), OutOfDateConfigurationNeeded);
        assert_eq!(converge(ConfigurationNeeded, Revoked), Revoked);
        assert_eq!(converge(UpToDate, ConfigurationNeeded), UpToDate);
    }

    #[test]
    fn hex() {
        assert_eq!(decode_hex::<2>("0aFf"), Some([0x0a, 0xff]));
        assert_eq!(decode_hex::<2>("0x0a"), None);
        assert_eq!(decode_hex::<2>("0a0"), None);
        assert_eq!(decode_hex::<1>("g0"), None);
    }
}
