import JobLogModel
import Testing

@testable import JobLogServer
@testable import JobLogStore

/// Issue 15: the escalation signals only the recorded owner, never a process that reused its pid.
@Suite struct CancelTargetTests {
    func owner(pid: Int64?, startTime: Int64?) -> RunOwner {
        RunOwner(runID: 1, pid: pid, startTime: startTime, heartbeatTimeoutMs: nil, lastHeartbeatAt: .now())
    }

    @Test func theRecordedOwnerIsSignalled() {
        let target = CancelService.target(
            owner(pid: 4321, startTime: 100), startTime: { _ in 100 }, uid: { _ in 1000 }, daemonUid: 1000)
        #expect(target == .signal(4321))
    }

    @Test func aPidReusedByALaterProcessIsNotSignalled() {
        let target = CancelService.target(
            owner(pid: 4321, startTime: 100), startTime: { _ in 250 }, uid: { _ in 1000 }, daemonUid: 1000)
        #expect(target == .refused("process 4321 is no longer the run's owner"))
    }

    @Test func anOwnerWithoutARecordedStartTimeOrPidIsNotSignalled() {
        let noTime = CancelService.target(owner(pid: 4321, startTime: nil), startTime: { _ in 100 }, daemonUid: 0)
        #expect(noTime != .signal(4321))
        let noPid = CancelService.target(owner(pid: nil, startTime: nil), daemonUid: 0)
        #expect(noPid == .refused("the run has no owner process"))
    }

    @Test func anotherUsersProcessIsSignalledOnlyByARootDaemon() {
        let owner = owner(pid: 4321, startTime: 100)
        let asUser = CancelService.target(owner, startTime: { _ in 100 }, uid: { _ in 2000 }, daemonUid: 1000)
        #expect(asUser != .signal(4321))
        let asRoot = CancelService.target(owner, startTime: { _ in 100 }, uid: { _ in 2000 }, daemonUid: 0)
        #expect(asRoot == .signal(4321))
    }
}
