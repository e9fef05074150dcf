import ArgumentParser

/// `--json` and `--raw` of the admin commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the daemon's result unchanged, as JSON (for jq).")
    var json = false

    @Flag(
        help: """
            Print job data as stored, control characters included (by default they are shown as \\x1b, \\n, ...: \
            anyone who can reach the daemon writes job data, and raw escapes act on your terminal).
            """)
    var raw = false

    /// The style for stdout: colors on a terminal, job data made visible unless `--raw`.
    var style: Style { Style(enabled: Console.stdoutIsTerminal && !json, raw: raw) }
}
