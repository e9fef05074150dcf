import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A spawned command (`joblog run`'s child).
struct ChildProcess: Sendable {
    let pid: pid_t

    /// Why a command could not be started: the `errno` of `posix_spawnp`.
    struct SpawnError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    /// Starts `argv` (looked up in `PATH`) with `environment`.
    ///
    /// Every signal has its default action and none is blocked in the child, whatever
    /// joblog does with them. `stdout`/`stderr`, when given, replace the child's
    /// descriptors 1 and 2 (the other descriptors are inherited as they are; joblog's
    /// own are close-on-exec).
    static func spawn(
        _ argv: [String], environment: [String: String], stdout: Int32? = nil, stderr: Int32? = nil
    ) throws(SpawnError) -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
        if let stderr { posix_spawn_file_actions_adddup2(&actions, stderr, 2) }

        let args = argv.map { strdup($0) } + [nil]
        let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in args { free(p) }
            for p in env { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, args, env)
        guard rc == 0 else { throw SpawnError(code: rc) }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end.
    func wait() async -> Termination {
        let pid = pid
        return await onThread("joblog-wait") {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                if errno != EINTR { return .exited(255) }
            }
            return Termination(waitStatus: status)
        }
    }
}
