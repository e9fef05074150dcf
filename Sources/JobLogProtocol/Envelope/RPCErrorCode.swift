/// The error codes of `Spec/PROTOCOL.md` section 3.
public enum RPCErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    public static let unknownRun = -32001
    public static let runFinished = -32002
    public static let notPermitted = -32003
    public static let lineTooLong = -32004
    public static let storeUnavailable = -32005
    public static let tooManyConnections = -32006
    public static let shuttingDown = -32007
    public static let unknownSubscription = -32008
    public static let queryTooExpensive = -32009
    public static let answerTooLarge = -32010
}
