import JobLogProtocol

/// The answers a connection owes, in request order: some ready, some waiting for a
/// commit or a read. Only the head is ever written, so responses leave in the order
/// their requests came, whatever order they complete in.
///
/// A value type with no I/O, confined to the connection's event loop.
struct OrderedResponses {
    private enum Slot {
        case ready([UInt8])
        case waiting
        /// A batch's members that answer: filled in any order, written as one array.
        case batch(parts: [[UInt8]?], missing: Int)
    }

    private var slots: [Slot] = []
    private var actions: [Int: @Sendable () -> Void] = [:]
    private var head = 0
    /// Sequence number of `slots[0]`.
    private var base = 0

    /// Bytes of the answers held here (ready, or members of a batch still filling).
    private(set) var heldBytes = 0

    /// Answers not yet written.
    var count: Int { slots.count - head }
    var isEmpty: Bool { count == 0 }

    /// Appends an answer that is ready now. `after` runs once it is written.
    mutating func append(ready bytes: [UInt8], after: (@Sendable () -> Void)? = nil) {
        let seq = base + slots.count
        slots.append(.ready(bytes))
        heldBytes += bytes.count
        if let after { actions[seq] = after }
    }

    /// Appends a place for an answer that comes later; returns its sequence number.
    mutating func appendWaiting(after: (@Sendable () -> Void)? = nil) -> Int {
        let seq = base + slots.count
        slots.append(.waiting)
        if let after { actions[seq] = after }
        return seq
    }

    /// Appends a batch of `parts` answers; returns its sequence number.
    mutating func appendBatch(parts: Int) -> Int {
        let seq = base + slots.count
        slots.append(.batch(parts: Array(repeating: nil, count: parts), missing: parts))
        return seq
    }

    /// Fills a waiting answer; without `keepAction` its after-action is dropped (the answer became a failure).
    mutating func fulfill(_ seq: Int, _ bytes: [UInt8], keepAction: Bool = true) {
        let i = seq - base
        guard i >= head, i < slots.count, case .waiting = slots[i] else { return }
        slots[i] = .ready(bytes)
        heldBytes += bytes.count
        if !keepAction { actions.removeValue(forKey: seq) }
    }

    /// Fills one member of a batch.
    mutating func fulfill(_ seq: Int, part: Int, _ bytes: [UInt8]) {
        let i = seq - base
        guard i >= head, i < slots.count, case .batch(var parts, let missing) = slots[i], parts[part] == nil else {
            return
        }
        parts[part] = bytes
        heldBytes += bytes.count
        if missing == 1 {
            let line = RPCResponse.batch(parts.map { $0 ?? [] })
            heldBytes += line.count - parts.reduce(0) { $0 + ($1?.count ?? 0) }
            slots[i] = .ready(line)
        } else {
            slots[i] = .batch(parts: parts, missing: missing - 1)
        }
    }

    /// Takes the answers that can be written now (the ready ones at the head), with their after-actions.
    mutating func takeReady() -> (lines: [[UInt8]], actions: [@Sendable () -> Void]) {
        var lines: [[UInt8]] = []
        var after: [@Sendable () -> Void] = []
        while head < slots.count, case .ready(let bytes) = slots[head] {
            lines.append(bytes)
            heldBytes -= bytes.count
            if let a = actions.removeValue(forKey: base + head) { after.append(a) }
            head += 1
        }
        if head > 64, head * 2 > slots.count {
            slots.removeFirst(head)
            base += head
            head = 0
        }
        return (lines, after)
    }
}
