/// The version of joblogd, its CLI and its Swift client: one constant, so `joblogd --version`,
/// `joblog --version` and `ping` always agree.
public enum JobLogVersion {
    /// Semantic version, like `0.1.0`.
    public static let string = "0.1.0"
}
