import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore

/// The path of one message from its decoded form to its ``Plan``, the same for every transport
/// and for single messages and batch members alike: `hello` taken, the method looked up once,
/// counted for `/metrics`, routed once (``Router``), and its write made a `WriteOp` (when it was
/// read, the caller's uid, the job's `at` within ``CallTime/window``, the connection's tracker and
/// session). Every write goes into the caller's list, in message order: a notification's, a
/// refused notification's `.reject` write, and a request's, which is then the last in the list;
/// the caller sets its completion from the plan's `respond`.
///
/// Knows nothing of channels: the socket handler orders and writes what it returns; an
/// in-process session (``LocalSession``) runs each plan on its own.
///
/// A value confined to its owner (the connection's event loop; a lock in ``LocalSession``).
struct RequestPipeline {
    private(set) var context: RequestContext
    /// The connection's writes in flight and its refused notifications.
    let tracker: CommitTracker
    /// Whether `hello` starts a numbered session: only a transport that keeps its messages in
    /// order may (a session's writes are applied by their number).
    private let numbersMessages: Bool
    private var session = ConnectionSession()
    private var counter: MessageCounter
    /// After `hello` with `acceptsCancel`: registers the connection for the runs it writes to.
    private var cancelListener: CancelListener?
    /// The run last registered (a job writes to one run: one comparison per write).
    private var lastCancelRun: Int64 = -1

    init(context: RequestContext, stats: ServerStats, numbersMessages: Bool) {
        let tracker = CommitTracker()
        var context = context
        context.tracker = tracker
        self.context = context
        self.tracker = tracker
        self.numbersMessages = numbersMessages
        counter = MessageCounter(stats: stats)
    }

    /// Nothing of the connection is in flight and no lost notification awaits its report:
    /// a barrier would change nothing, a read or an answer may go at once.
    var isClean: Bool { tracker.isSettled && tracker.unreportedLoss == nil }

    /// The plan for one message, and the id to answer with. Its write (if any) is appended to `ops`;
    /// for a request answered by a write (``Plan/write(_:at:respond:)``) it is `ops.last`.
    mutating func plan(_ message: IncomingMessage, now: Timestamp, ops: inout [WriteOp]) -> (
        id: RequestID, plan: Plan
    ) {
        let request: RPCRequest
        switch message {
        case .invalid(let error, let id):
            session.count()
            return (id, .refused(error))
        case .request(let r):
            request = r
        }
        let method = Method.named(request.method)
        counter.count(request.method, known: method != nil)
        // By pattern, not `==`: `Method`'s equality is a call into another module, per message.
        if case .hello? = method, numbersMessages, !request.positionalParams {
            return hello(request, now, &ops)
        }
        session.count()
        let plan = Router.route(method, request, context)
        switch plan {
        case .write(let command, let at, _):
            ops.append(write(command, at: at, now))
            guard let id = request.id else { return (.null, .none) }
            return (id, plan)
        case .refused(let error):
            guard let id = request.id else {
                // Counted on its run and reported to the next `ping`, in order, by the writer.
                var op = WriteOp(
                    Self.rejection(request, error), receivedAt: now, callerUid: context.peer?.uid, tracker: tracker)
                session.tag(&op)
                ops.append(op)
                return (.null, .none)
            }
            return (id, plan)
        case .immediate(_, let after, _):
            guard let id = request.id else {
                after?()
                return (.null, .none)
            }
            return (id, plan)
        case .read, .none:
            guard let id = request.id else { return (.null, .none) }
            return (id, plan)
        }
    }

    /// A canonical `incrementProgress` notification, read without a JSON tree
    /// (``IncomingLine/incrementProgress(_:)``): what ``plan(_:now:ops:)`` does for it once routed
    /// (counted, numbered in a session, its write queued), without the tree and the routing.
    mutating func planIncrement(_ p: IncrementProgressParams, now: Timestamp, ops: inout [WriteOp]) {
        counter.count("incrementProgress", known: true)
        session.count()
        ops.append(write(.incrementProgress(run: p.jobRunId, by: p.by), at: p.at, now))
    }

    /// Reports the messages counted for `/metrics` (after each burst).
    mutating func reportCounted() { counter.report() }

    /// A barrier of this connection: `completion` runs once every write queued before it is
    /// committed (or with the failure of the first that was not).
    func barrier(now: Timestamp, _ completion: @escaping @Sendable (WriteOutcome) -> Void) -> WriteOp {
        var op = WriteOp(.barrier, receivedAt: now, tracker: tracker, completion: completion)
        session.tag(&op)
        return op
    }

    /// The queued form of a handler's write: who, when, which connection and session. Registers
    /// the connection for cancel notices of the run it writes to (after `hello` with `acceptsCancel`).
    private mutating func write(_ command: WriteCommand, at: Int64?, _ now: Timestamp) -> WriteOp {
        if let cancelListener, let run = command.runID, run != lastCancelRun {
            lastCancelRun = run
            cancelListener.listen(run, catchingUpFrom: context.store)
        }
        let at = CallTime.accepted(at, now: now.milliseconds).map(Timestamp.init(milliseconds:))
        var op = WriteOp(command, receivedAt: now, callerUid: context.peer?.uid, tracker: tracker, at: at)
        session.tag(&op)
        return op
    }

    /// `hello`: starts numbering this connection's messages in a client session. Answered once the
    /// writer has applied it (after every write queued before it): the session's committed count.
    private mutating func hello(_ request: RPCRequest, _ now: Timestamp, _ ops: inout [WriteOp]) -> (
        id: RequestID, plan: Plan
    ) {
        let params: HelloParams
        do {
            params = try HelloParams(from: ParamReader(request.params))
        } catch {
            guard let id = request.id else { return (.null, .none) }
            return (id, .refused(error))
        }
        if params.acceptsCancel {
            context.acceptsCancel = true
            cancelListener = CancelListener(context)
        }
        let link = session.start(params, uid: context.peer?.uid)
        ops.append(WriteOp(.hello(link), receivedAt: now, tracker: tracker))
        guard let id = request.id else { return (.null, .none) }
        let name = params.session
        return (
            id,
            .write(.hello(link)) { outcome in
                switch outcome {
                case .session(let applied): .success(HelloResult(session: name, applied: applied).json)
                case .failed(let e): .failure(RPCError(e))
                default: .failure(.internalError)
                }
            }
        )
    }

    /// A refused notification as a write for the writer to count: its run (when its
    /// `jobRunId` is readable), method and reason.
    static func rejection(_ request: RPCRequest, _ error: RPCError) -> WriteCommand {
        let run = try? ParamReader(request.params).id("jobRunId")
        var reason = error.message
        if let data = error.data?.objectValue {
            if let field = data["field"]?.stringValue, let why = data["reason"]?.stringValue {
                reason += " (\(field): \(why))"
            } else if let why = data["reason"]?.stringValue {
                reason += " (\(why))"
            }
        }
        let method = String(request.method.prefix(64))
        return .reject(run: run ?? nil, method: method, reason: reason)
    }
}
