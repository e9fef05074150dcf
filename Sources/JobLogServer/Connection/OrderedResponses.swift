import JobLogProtocol

/// The answers a connection owes, in request order: some ready, some waiting for a
/// commit or a read. Only the head is ever written, so responses leave in the order
/// their requests came, whatever order they complete in.
///
/// A value type with no I/O, confined to the connection's event loop.
struct OrderedResponses {
    /// Where one answer goes: its own place, or a member of a batch's answer.
    enum Place: Sendable {
        case single(Int)
        case part(Int, of: Int)
    }

    private enum Slot {
        case ready([UInt8])
        case waiting
        /// A batch's members that answer: filled in any order, written as one array once
        /// closed (every member planned) and complete.
        case batch(parts: [[UInt8]?], missing: Int, open: Bool)
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
    mutating func appendWaiting() -> Int {
        slots.append(.waiting)
        return base + slots.count - 1
    }

    /// Appends a batch whose members are added by ``addPart(to:)``; returns its sequence number.
    mutating func openBatch() -> Int {
        slots.append(.batch(parts: [], missing: 0, open: true))
        return base + slots.count - 1
    }

    /// Adds a member that answers to the open batch `seq`; returns its place.
    mutating func addPart(to seq: Int) -> Place {
        let i = seq - base
        guard case .batch(var parts, let missing, true) = slots[i] else { preconditionFailure("batch not open") }
        slots[i] = .waiting  // drops the slot's reference: `parts` grows in place
        parts.append(nil)
        slots[i] = .batch(parts: parts, missing: missing + 1, open: true)
        return .part(parts.count - 1, of: seq)
    }

    /// Every member of batch `seq` is planned: a batch with no member that answers has no answer
    /// at all; one whose members are all answered is ready.
    mutating func closeBatch(_ seq: Int) {
        let i = seq - base
        guard case .batch(let parts, let missing, true) = slots[i] else { return }
        if parts.isEmpty, i == slots.count - 1 {
            slots.removeLast()
        } else if missing == 0 {
            complete(i, parts)
        } else {
            slots[i] = .batch(parts: parts, missing: missing, open: false)
        }
    }

    /// Appends a batch of `parts` answers; returns its sequence number.
    mutating func appendBatch(parts: Int) -> Int {
        let seq = openBatch()
        for _ in 0..<parts { _ = addPart(to: seq) }
        let i = seq - base
        if case .batch(let p, let missing, _) = slots[i] { slots[i] = .batch(parts: p, missing: missing, open: false) }
        return seq
    }

    /// Fills an answer. `after` runs once it is written (a batch member's at once).
    mutating func fulfill(_ place: Place, _ bytes: [UInt8], after: (@Sendable () -> Void)? = nil) {
        switch place {
        case .single(let seq):
            fulfill(seq, bytes)
            if let after { actions[seq] = after }
        case .part(let part, let seq):
            fulfill(seq, part: part, bytes)
            after?()
        }
    }

    /// Fills a waiting answer.
    mutating func fulfill(_ seq: Int, _ bytes: [UInt8]) {
        let i = seq - base
        guard i >= head, i < slots.count, case .waiting = slots[i] else { return }
        slots[i] = .ready(bytes)
        heldBytes += bytes.count
    }

    /// Fills one member of a batch.
    mutating func fulfill(_ seq: Int, part: Int, _ bytes: [UInt8]) {
        let i = seq - base
        guard i >= head, i < slots.count, case .batch(var parts, let missing, let open) = slots[i],
            parts[part] == nil
        else {
            return
        }
        slots[i] = .waiting  // drops the slot's reference: `parts` is changed in place
        parts[part] = bytes
        heldBytes += bytes.count
        if missing == 1, !open {
            complete(i, parts)
        } else {
            slots[i] = .batch(parts: parts, missing: missing - 1, open: open)
        }
    }

    /// Makes a complete batch one ready line: `[` parts `,` … `]`.
    private mutating func complete(_ i: Int, _ parts: [[UInt8]?]) {
        let line = RPCResponse.batch(parts.map { $0 ?? [] })
        heldBytes += line.count - parts.reduce(0) { $0 + ($1?.count ?? 0) }
        slots[i] = .ready(line)
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
