import Hummingbird
import HummingbirdTesting
import Testing

@testable import JobLogHTTP

/// `/metrics`: Prometheus text with the daemon and job figures; job names folded past the limit.
@Suite struct MetricsTests {
    @Test func exposesDaemonAndJobFigures() async throws {
        let f = try HTTPFixture()
        let app = f.app()
        _ = try await f.seedRun()
        _ = try await f.seedRun(finish: false)
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: HTTPFixture.auth) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = response.text
                for needle in [
                    "joblogd_connections ", "joblogd_watchers ", #"joblogd_messages_total{method="startRun"}"#,
                    #"joblogd_runs_finished_total{job="user-sync",status="SUCCESS"} 1"#,
                    #"joblogd_runs_started_total{job="user-sync"} 2"#, "joblogd_write_queue_depth ",
                    "joblogd_commit_latency_seconds_bucket", "joblogd_store_errors_total ",
                    "joblogd_lagged_events_total ",
                    "joblogd_run_duration_seconds_bucket", #"joblogd_run_progress_ratio{job="user-sync",run=""#,
                ] {
                    #expect(text.contains(needle), "\(needle)")
                }
            }
        }
    }

    @Test func jobNamesPastTheLimitAreFolded() {
        let folder = JobNameFolder(limit: 3)
        #expect(["a", "b", "c", "d", "a", "e"].map(folder.label) == ["a", "b", "c", "other", "a", "other"])
    }
}
