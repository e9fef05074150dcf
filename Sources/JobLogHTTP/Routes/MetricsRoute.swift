import Hummingbird

/// `GET /metrics`: Prometheus text format.
struct MetricsRoute: Sendable {
    let metrics: DaemonMetrics

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/metrics") { _, _ in
            let body = await metrics.scrape()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
