import JobLogJSON

/// One message of a line: a request to route, or an invalid one to answer with an error.
public enum IncomingMessage: Sendable {
    case request(RPCRequest)
    /// Not a valid request; always answered, with the id when it was readable.
    case invalid(RPCError, id: RequestID)
}

/// What one line of input holds.
public enum IncomingLine: Sendable {
    /// Empty or only whitespace: ignored.
    case blank
    case single(IncomingMessage)
    case batch([IncomingMessage])
    /// A notification `incrementProgress` in the form clients write it, read without a JSON tree
    /// (``IncrementLine``): what the full decoder would make of it, as its params.
    case incrementProgress(IncrementProgressParams)
    /// Answered with this error and id null (parse error, empty batch, oversized batch).
    case failure(RPCError)
}
