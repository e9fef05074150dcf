extension JobLogStore {
    /// Registers a function called on the writer thread each time the writer comes back to its
    /// queue (before each transaction, and at least every ``StoreConfiguration/heartbeatIntervalMs``
    /// while idle). It must not block: it runs where the writer would otherwise be writing.
    public func onWriterHeartbeat(_ listener: @escaping @Sendable () -> Void) {
        heartbeat.add(listener)
    }
}
