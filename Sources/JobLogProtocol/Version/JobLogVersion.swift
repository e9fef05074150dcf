/// The version of joblogd's programs: the one place both `joblog --version` and
/// `joblogd --version` (and `ping`'s `version`) take it from.
public enum JobLogVersion {
    /// The release, as `major.minor.patch`.
    public static let string = "0.1.0"
}
