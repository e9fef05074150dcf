import Hummingbird
import JobLogJSON
import JobLogProtocol
import JobLogServer

/// `/api/admin/jobs…` and `/healthz`: each one socket method through the daemon's router,
/// its `result` as the body, its error as `{"error":…}` with the matching status.
struct JobsRoutes: Sendable {
    let session: LocalSession

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/api/admin/jobs") { request, _ in
            try await call(
                .listRuns,
                QueryParams.params(
                    request, strings: ["jobName", "status", "node"], ids: ["beforeId"], numbers: ["limit"]))
        }
        router.get("/api/admin/jobs/{jobRunId}") { request, context in
            try await call(.getRun, QueryParams.params(request, path: try runID(context)))
        }
        router.get("/api/admin/jobs/{jobRunId}/logs") { request, context in
            try await call(
                .getLogs,
                QueryParams.params(
                    request, strings: ["level"], ids: ["afterId", "beforeId"], numbers: ["limit"],
                    path: try runID(context)))
        }
        router.get("/api/admin/jobs/{jobRunId}/progress") { request, context in
            try await call(.getProgress, QueryParams.params(request, path: try runID(context)))
        }
        router.get("/api/admin/jobs/{jobRunId}/outcome") { request, context in
            try await call(.getOutcome, QueryParams.params(request, path: try runID(context)))
        }
        router.get("/api/admin/jobs/{jobRunId}/stages") { request, context in
            try await call(.getStages, QueryParams.params(request, path: try runID(context)))
        }
        router.get("/api/admin/jobs/{jobRunId}/compare") { request, context in
            var params = QueryParams.params(request, path: try runID(context))
            if let baseline = request.uri.queryParameters["baseline"] {
                params.append("baselineRunId", .string(String(baseline)))
            }
            return try await call(.compareRuns, params)
        }
        router.get("/api/admin/job-names") { request, _ in
            try await call(.listJobs, QueryParams.params(request, strings: ["jobName"], numbers: ["limit"]))
        }
        router.get("/api/admin/job-names/{jobName}/stats") { request, context in
            let name = try context.parameters.require("jobName")
            let decoded = name.removingPercentEncoding ?? name
            return try await call(
                .getJobStats, QueryParams.params(request, numbers: ["last"], path: [("jobName", decoded)]))
        }
        // `ping`'s result with `"status":"ok"` in front, as the issue gives the health body.
        router.get("/healthz") { _, _ in
            switch await session.call(.ping, JSONObject()).result {
            case .success(.object(let ping)):
                return JSONBody.response(
                    .object(JSONObject([("status", .string("ok"))] + ping.members.map { ($0.key, $0.value) })))
            case .success: throw APIError(.internalError)
            case .failure(let error): throw APIError(error)
            }
        }
    }

    private func runID(_ context: some RequestContext) throws -> [(String, String)] {
        [("jobRunId", try context.parameters.require("jobRunId"))]
    }

    private func call(_ method: Method, _ params: JSONObject) async throws -> Response {
        switch await session.call(method, params).result {
        case .success(let value): return JSONBody.response(value)
        case .failure(let error): throw APIError(error)
        }
    }
}
