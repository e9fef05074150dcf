import ArgumentParser

/// `--json` of the admin commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the daemon's result unchanged, as JSON (for jq).")
    var json = false
}
