import ArgumentParser
import Foundation

/// `--run ID` of the job-side commands, defaulting to `$JOBLOG_RUN_ID`.
///
/// Run id 0 means "reporting is disabled": `joblog run` exports `JOBLOG_RUN_ID=0` when
/// no daemon answered, and the job-side commands then do nothing and succeed, so a
/// script's reporting never stops it (as the Swift library's disabled logger).
struct RunIDOption: ParsableArguments {
    @Option(
        name: .customLong("run"),
        help: ArgumentHelp(
            "The run to write to (default: $JOBLOG_RUN_ID, which `joblog run` sets; 0: do nothing).",
            valueName: "id"))
    var run: Int64?

    @OptionGroup var quiet: QuietIfAbsent

    /// `--quiet-if-absent` or `$JOBLOG_QUIET_IF_ABSENT`.
    var quietIfAbsent: Bool { quiet.enabled }

    /// The run id (`--run`, else `$JOBLOG_RUN_ID`); nil when reporting is disabled (id 0).
    var runID: Int64? {
        get throws {
            if let run {
                guard run >= 0 else { throw ValidationError("--run must be a run id, not \(run).") }
                return run == 0 ? nil : run
            }
            let text = ProcessInfo.processInfo.environment["JOBLOG_RUN_ID"] ?? ""
            guard !text.isEmpty else {
                throw ValidationError(
                    "No run: pass --run ID, or set JOBLOG_RUN_ID (`joblog run` sets it for its command; "
                        + "`export JOBLOG_RUN_ID=$(joblog start NAME --pid $$)` in a script).")
            }
            guard let id = Int64(text), id >= 0 else {
                throw ValidationError("JOBLOG_RUN_ID must be a run id, not '\(text)'.")
            }
            return id == 0 ? nil : id
        }
    }

    func validate() throws {
        _ = try runID
    }
}
