import ArgumentParser
import JobLogJSON

/// What a new run is started with: shared by `joblog run` and `joblog start`.
struct StartOptions: ParsableArguments {
    @Option(
        name: .customLong("param"),
        help: ArgumentHelp(
            "A parameter stored in metadata.params, key=value (repeatable; typed as for --ctx).",
            valueName: "key=value"))
    var params: [KeyValue] = []

    @Option(help: "What started the run.")
    var trigger: String = "MANUAL"

    @Option(help: "The run's scope.")
    var scope: String = "system"

    @Option(name: .customLong("algorithm-version"), help: "The job's algorithm version (optional).")
    var algorithmVersion: String?

    /// The params as the raw JSON object stored in `metadata.params`.
    var paramsJSON: RawJSON { KeyValue.object(params) }

    func validate() throws {
        for (name, value) in [("trigger", trigger), ("scope", scope), ("algorithm-version", algorithmVersion ?? "")]
        where value.utf8.count > 200 {
            throw ValidationError("--\(name) is at most 200 bytes.")
        }
    }

    /// Checks a job name against the protocol's limits (1-200 bytes).
    static func validate(jobName: String) throws {
        guard !jobName.isEmpty, jobName.utf8.count <= 200 else {
            throw ValidationError("The job name must be 1 to 200 bytes.")
        }
    }
}
