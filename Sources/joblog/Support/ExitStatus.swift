import ArgumentParser

/// The exit codes of `joblog` (from sysexits.h), as documented in `joblog --help`.
enum ExitStatus {
    /// Bad arguments: ArgumentParser's validation failure (EX_USAGE).
    static let usage = ExitCode.validationFailure
    /// The daemon answered with an error other than `unknown run`, or an unreadable answer (EX_DATAERR).
    static let rpcError = ExitCode(65)
    /// The run does not exist (EX_NOINPUT).
    static let unknownRun = ExitCode(66)
    /// No daemon answers on the socket (EX_UNAVAILABLE).
    static let unavailable = ExitCode(69)
}
