import ArgumentParser
import Foundation

/// `--quiet-if-absent` of the job-side commands: reporting never fails a job.
///
/// When no daemon answers, the command prints nothing and exits 0 (instead of 69).
/// `joblog run` sets `JOBLOG_QUIET_IF_ABSENT=1` for its command, so a wrapped script
/// (`set -e` or not) is never failed because the daemon went away. Errors the daemon
/// answers with (a finished run, invalid params) keep their exit codes.
struct QuietIfAbsent: ParsableArguments {
    /// The environment switch `joblog run` exports.
    static let environmentVariable = "JOBLOG_QUIET_IF_ABSENT"

    @Flag(
        name: .customLong("quiet-if-absent"),
        help:
            "When no daemon answers, do nothing and exit 0 (also with $JOBLOG_QUIET_IF_ABSENT=1, set by `joblog run`).")
    var flag = false

    /// True with the flag or the environment switch.
    var enabled: Bool {
        flag || ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment[Self.environmentVariable] ?? "")
    }
}
