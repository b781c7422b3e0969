//! Exit statuses, as documented in DESIGN.md and the README.

use mcp_diag_model::Severity;
use mcp_diag_report::Summary;

/// The process exit status. The numbers are a contract for CI pipelines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Nothing at or above `--fail-on`.
    Success = 0,
    /// The tool could not do its job (bad arguments, unreadable source).
    Error = 1,
    /// Findings at or above `--fail-on`, but no blocker.
    Findings = 2,
    /// At least one blocker.
    Blockers = 3,
}

/// Where the findings put the exit status: a blocker always fails (3), anything else at or
/// above `threshold` gives 2. No threshold (`--fail-on none`) is a report-only run: 0.
pub fn from_worst(worst: Option<Severity>, threshold: Option<Severity>) -> ExitStatus {
    let Some(threshold) = threshold else {
        return ExitStatus::Success;
    };
    match worst {
        Some(Severity::Blocker) => ExitStatus::Blockers,
        Some(worst) if worst >= threshold => ExitStatus::Findings,
        _ => ExitStatus::Success,
    }
}

pub fn from_summary(summary: &Summary, threshold: Option<Severity>) -> ExitStatus {
    from_worst(summary.worst(), threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(blocker: usize, high: usize, low: usize) -> Summary {
        Summary {
            blocker,
            high,
            medium: 0,
            low,
            info: 0,
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(
            from_summary(&summary(0, 0, 0), Some(Severity::High)),
            ExitStatus::Success
        );
        assert_eq!(
            from_summary(&summary(0, 0, 3), Some(Severity::High)),
            ExitStatus::Success
        );
        assert_eq!(
            from_summary(&summary(0, 0, 3), Some(Severity::Low)),
            ExitStatus::Findings
        );
        assert_eq!(
            from_summary(&summary(0, 1, 0), Some(Severity::High)),
            ExitStatus::Findings
        );
        assert_eq!(
            from_summary(&summary(1, 0, 0), Some(Severity::High)),
            ExitStatus::Blockers
        );
        assert_eq!(
            from_summary(&summary(1, 0, 0), Some(Severity::Blocker)),
            ExitStatus::Blockers
        );
        assert_eq!(
            from_summary(&summary(0, 5, 0), Some(Severity::Blocker)),
            ExitStatus::Success
        );
        assert_eq!(from_summary(&summary(1, 0, 0), None), ExitStatus::Success);
    }
}
