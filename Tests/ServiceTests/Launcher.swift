/// A socket-activation launcher, as systemd does it: binds and listens on each socket, puts
/// them at descriptors 3, 4, … (mode 0604 on their files, so a chmod by the daemon shows),
/// waits for a go file, then execs the daemon in the same process, so that `LISTEN_PID` (this
/// pid) is the daemon's. Arguments: go-file, `name=path` (or `dgram:name=path`) per socket,
/// `--`, the daemon's argv. A name `-` on the first socket sets no `LISTEN_FDNAMES`.
enum Launcher {
    /// The launcher's argv; the daemon's own argv follows it.
    static func argv(python: String, go: String, sockets: [String]) -> [String] {
        [python, "-c", script, go] + sockets + ["--"]
    }

    static let script = #"""
        import os, socket, sys, time
        args = sys.argv[1:]
        go = args.pop(0)
        specs = []
        while args[0] != "--":
            specs.append(args.pop(0))
        args.pop(0)
        parked, names = [], []
        for i, spec in enumerate(specs):
            kind = socket.SOCK_STREAM
            if spec.startswith("dgram:"):
                kind, spec = socket.SOCK_DGRAM, spec[6:]
            name, path = spec.split("=", 1)
            s = socket.socket(socket.AF_UNIX, kind)
            s.bind(path)
            os.chmod(path, 0o604)
            if kind == socket.SOCK_STREAM:
                s.listen(64)
            os.dup2(s.fileno(), 100 + i)
            parked.append(100 + i)
            s.close()
            names.append(name)
        for i, fd in enumerate(parked):
            os.dup2(fd, 3 + i)
            os.close(fd)
            os.set_inheritable(3 + i, True)
        deadline = time.time() + 60
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.01)
        env = dict(os.environ)
        env["LISTEN_FDS"] = str(len(parked))
        env["LISTEN_PID"] = str(os.getpid())
        if names and names[0] != "-":
            env["LISTEN_FDNAMES"] = ":".join(names)
        os.execve(args[0], args, env)
        """#
}
