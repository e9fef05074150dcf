/// A validated JSON object or array kept as the text it arrived as.
public struct RawJSON: Sendable, Equatable {
    /// The JSON text, without surrounding whitespace.
    public let text: String
    /// How deeply containers nest inside it (`{}` is 1, `{"a":[]}` is 2).
    public let depth: Int
    /// True for an object, false for an array.
    public let isObject: Bool

    /// Wraps text already validated by ``JSONParser``.
    init(validatedText: String, depth: Int, isObject: Bool) {
        self.text = validatedText
        self.depth = depth
        self.isObject = isObject
    }

    /// Wraps object text that this program validated or wrote itself (stored contexts).
    public init(trustedObjectText text: String) {
        self.init(validatedText: text, depth: 1, isObject: true)
    }

    /// Validates `text` as a JSON object or array.
    public init?(validating text: String) {
        guard case .raw(let raw)? = try? JSONParser.parse(Array(text.utf8), rawDepth: 1) else {
            return nil
        }
        self = raw
    }

    /// The parsed value.
    public func parsed() -> JSONValue? {
        try? JSONParser.parse(Array(text.utf8))
    }

    /// The text's size in bytes.
    public var byteCount: Int { text.utf8.count }

    /// The empty object `{}`.
    public static let emptyObject = RawJSON(validatedText: "{}", depth: 1, isObject: true)
}
