import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The child signals are forwarded to (0 until it is spawned).
private let forwardTarget = Atomic<Int32>(0)
/// A signal sent to joblog before the child existed, to forward once it does.
private let pendingSignal = Atomic<Int32>(0)
/// The last SIGINT/SIGTERM joblog received (0: none).
private let lastSignal = Atomic<Int32>(0)

/// Forwards SIGINT and SIGTERM from joblog to the child of `joblog run`.
///
/// A signal sent by a process (`kill`, a scheduler stopping the job) is forwarded.
/// A signal from the terminal (Ctrl-C) is not: the terminal already sent it to the
/// whole foreground process group, the child included, and sending it twice would
/// make some programs quit harder than asked. Either way joblog itself stays
/// alive until the child exits, so that it can record how the run ended.
enum SignalForwarder {
    /// Installs the handlers (joblog no longer dies of these signals).
    static func install(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        for signo in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signo, info, _ in
                lastSignal.store(signo, ordering: .relaxed)
                // SI_USER, SI_QUEUE, SI_TKILL...: sent by a process. SI_KERNEL: the terminal.
                guard let info, info.pointee.si_code <= 0 else { return }
                let target = forwardTarget.load(ordering: .sequentiallyConsistent)
                if target > 0 {
                    kill(target, signo)
                } else {
                    pendingSignal.store(signo, ordering: .sequentiallyConsistent)
                    // The child may have been set meanwhile: whoever takes the pending signal sends it.
                    let now = forwardTarget.load(ordering: .sequentiallyConsistent)
                    if now > 0 {
                        let pending = pendingSignal.exchange(0, ordering: .sequentiallyConsistent)
                        if pending != 0 { kill(now, pending) }
                    }
                }
            }
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signo, &action, nil)
        }
        // A launcher may have started joblog with these signals blocked (the mask is inherited,
        // e.g. from a dispatch thread): unblocked on this thread, they are delivered to it.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signo in signals { sigaddset(&unblock, signo) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// From now on, signals go to `pid` (and one received before is sent now).
    static func forward(to pid: pid_t) {
        forwardTarget.store(pid, ordering: .sequentiallyConsistent)
        let pending = pendingSignal.exchange(0, ordering: .sequentiallyConsistent)
        if pending != 0 { kill(pid, pending) }
    }

    /// The last SIGINT/SIGTERM joblog received, if any.
    static var received: Int32? {
        let s = lastSignal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }
}
