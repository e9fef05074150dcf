/// One embedded file of the web UI (see `Scripts/embed-web.py`).
struct WebAsset: Sendable {
    let contentType: String
    /// A strong validator: a prefix of the content's sha256, quoted.
    let etag: String
    let text: String
    /// Bytes of the file.
    let size: Int
}
