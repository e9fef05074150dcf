/// Registers a connection for the `cancel` notification of a run it started.
struct CancelListener: Sendable {
    let cancels: CancelService
    let connection: UInt64
    let send: @Sendable ([UInt8]) -> Void

    init?(_ context: RequestContext) {
        guard let cancels = context.cancels, let send = context.send else { return nil }
        self.cancels = cancels
        self.connection = context.connectionID
        self.send = send
    }

    func listen(_ run: Int64) { cancels.listen(connection: connection, run: run, send: send) }
}
