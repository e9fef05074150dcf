import ArgumentParser
import JobLogProtocol

/// `joblog`: report a batch job to `joblogd` from a shell, and look at its runs.
@main
struct Joblog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "joblog",
        abstract: "Report batch jobs to joblogd and inspect their runs.",
        discussion: """
            Job side (for shell scripts): `joblog run` wraps a command in a run and exports \
            JOBLOG_RUN_ID, JOBLOG_SOCKET and JOBLOG_QUIET_IF_ABSENT=1 to it; the other job-side commands write to \
            $JOBLOG_RUN_ID (or --run ID). Each of them is a request: it returns once the daemon \
            has stored it, and fails (non-zero) when the daemon refused it. Run id 0 (exported by \
            `joblog run` when no daemon answered) makes them do nothing; with --quiet-if-absent (or \
            $JOBLOG_QUIET_IF_ABSENT=1) they also exit 0 silently when the daemon does not answer.

            Admin side: list, show, logs, watch, prune. Control characters in job data are shown \
            as \\x1b, \\n, ... unless --raw. `--json` prints the daemon's result unchanged, \
            for jq (`logs --follow --json` and `watch --json` print one JSON document per line).

            The socket is --socket, else $JOBLOG_SOCKET, else $XDG_RUNTIME_DIR/joblogd.sock, \
            else /tmp/joblogd-<uid>.sock.

            Exit codes:
              0   success
              64  usage error (bad arguments, no run id given)
              65  the daemon answered with another error (run already finished, invalid params, \
            not permitted, store unavailable), or an answer joblog could not read
              66  unknown run
              69  no daemon answers on the socket: "daemon unreachable at PATH (no such file | not a \
            socket | nobody listening | permission denied); start it with: joblogd --socket PATH"
            `joblog run` exits with its command's exit code (128+N when it was killed by signal N, \
            127 when the command was not found, 126 when it could not be executed).
            """,
        version: JobLogVersion.string,
        groupedSubcommands: [
            CommandGroup(
                name: "Job side",
                subcommands: [
                    RunCommand.self, StartCommand.self, StageCommand.self, TotalCommand.self, IncCommand.self,
                    ProgressCommand.self, DebugCommand.self, InfoCommand.self, MilestoneCommand.self,
                    WarningCommand.self, ErrorCommand.self, OutcomeCommand.self, SummaryCommand.self,
                    FinishCommand.self,
                ]),
            CommandGroup(
                name: "Admin side",
                subcommands: [
                    ListCommand.self, ShowCommand.self, LogsCommand.self, WatchCommand.self, PruneCommand.self,
                    JobsCommand.self, HistoryCommand.self, CompareCommand.self,
                    CancelCommand.self,
                ]),
        ]
    )
}
