import NIOCore
import NIOPosix
import RunMetrics
import XCTest

/// Talks plain HTTP/1.1 over TCP to a server bound on a free loopback port.
final class MetricsServerTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() async throws {
        try await group.shutdownGracefully()
    }

    private func startServer(_ exporter: MetricsExporter) async throws -> MetricsServer {
        try await MetricsServer.start(exporter: exporter, at: MetricsAddress(port: 0), group: group)
    }

    func testBindsAFreePortAndReportsIt() async throws {
        let server = try await startServer(MetricsExporter())
        XCTAssertEqual(server.address.host, "127.0.0.1")
        XCTAssertNotEqual(server.address.port, 0)
        try await server.shutdown()
    }

    func testGetMetricsAnswersWithTheRegistry() async throws {
        let exporter = MetricsExporter()
        exporter.update(MetricsSnapshot(devicesTotal: 3, devicesConnected: 2, messagesPublished: 42, willsReceived: 1))
        let server = try await startServer(exporter)
        let response = try await RawHTTPClient.exchange(
            "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", port: server.address.port, group: group)
        try await server.shutdown()

        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
        let (head, body) = RawHTTPClient.split(response)
        XCTAssertTrue(head.lowercased().contains("content-type: text/plain; version=0.0.4; charset=utf-8"), head)
        XCTAssertTrue(head.lowercased().contains("content-length: \(body.utf8.count)"), head)
        let lines = Set(body.split(separator: "\n").map(String.init))
        XCTAssertTrue(lines.contains("# TYPE fleet_devices_connected gauge"), body)
        XCTAssertTrue(lines.contains("fleet_devices_connected 2.0"), body)
        XCTAssertTrue(lines.contains("fleet_messages_published_total 42"), body)
        XCTAssertTrue(lines.contains("fleet_wills_received_total 1"), body)
    }

    func testLatenciesAreScrapedAsPrometheusHistograms() async throws {
        let exporter = MetricsExporter()
        let connack = LatencyMetric(name: "connack", help: "CONNECT written to CONNACK read.")
        // 0.3 ms, 2 ms, 2 ms, 40 ms, 3 s and 10 min (above every bucket: +Inf only).
        for nanoseconds: UInt64 in [300_000, 2_000_000, 2_000_000, 40_000_000, 3_000_000_000, 600_000_000_000] {
            exporter.observeLatency(connack, nanoseconds: nanoseconds)
        }
        exporter.observeLatency(LatencyMetric(name: "will_delivery", help: "Ending to will."), nanoseconds: 1_500_000_000)
        let server = try await startServer(exporter)
        let response = try await RawHTTPClient.exchange(
            "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", port: server.address.port, group: group)
        try await server.shutdown()
        let body = RawHTTPClient.split(response).body
        let lines = body.split(separator: "\n").map(String.init)

        XCTAssertTrue(lines.contains("# TYPE fleet_latency_connack_seconds histogram"), body)
        XCTAssertTrue(lines.contains("# HELP fleet_latency_connack_seconds CONNECT written to CONNACK read."), body)
        let prefix = "fleet_latency_connack_seconds_bucket{le=\""
        let buckets = lines.filter { $0.hasPrefix(prefix) }.map { line -> (le: Double, count: Int) in
            let parts = line.dropFirst(prefix.count).split(separator: "\"")
            return (parts[0] == "+Inf" ? .infinity : Double(parts[0])!, Int(parts[1].dropFirst(2))!)
        }
        XCTAssertEqual(buckets.map(\.le), MetricsExporter.latencyBuckets + [.infinity])
        XCTAssertEqual(buckets.map(\.count), buckets.map(\.count).sorted(), "buckets are cumulative")
        let count = { (le: Double) in buckets.first { $0.le == le }?.count }
        XCTAssertEqual(count(0.0005), 1)
        XCTAssertEqual(count(0.0025), 3)
        XCTAssertEqual(count(0.05), 4)
        XCTAssertEqual(count(5), 5)
        XCTAssertEqual(count(120), 5)
        XCTAssertEqual(count(.infinity), 6)
        XCTAssertTrue(lines.contains("fleet_latency_connack_seconds_count 6"), body)
        let sum = try XCTUnwrap(lines.first { $0.hasPrefix("fleet_latency_connack_seconds_sum ") }.flatMap { Double($0.split(separator: " ")[1]) })
        XCTAssertEqual(sum, 603.0443, accuracy: 1e-9)
        XCTAssertTrue(lines.contains("fleet_latency_will_delivery_seconds_count 1"), body)
        XCTAssertFalse(body.contains("fleet_latency_tls"), "no histogram for a phase never measured")
    }

    func testScrapesSeeLaterUpdates() async throws {
        let exporter = MetricsExporter()
        let server = try await startServer(exporter)
        let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        let before = try await RawHTTPClient.exchange(request, port: server.address.port, group: group)
        exporter.update(MetricsSnapshot(messagesReceived: 5000))
        let after = try await RawHTTPClient.exchange(request, port: server.address.port, group: group)
        try await server.shutdown()
        XCTAssertTrue(before.contains("\nfleet_messages_received_total 0\n"), before)
        XCTAssertTrue(after.contains("\nfleet_messages_received_total 5000\n"), after)
    }

    func testOtherPathsAreNotFound() async throws {
        let server = try await startServer(MetricsExporter())
        let response = try await RawHTTPClient.exchange(
            "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", port: server.address.port, group: group)
        try await server.shutdown()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"), response)
        XCTAssertFalse(response.contains("fleet_devices"), response)
    }

    func testOtherMethodsOnMetricsAreRefused() async throws {
        let server = try await startServer(MetricsExporter())
        let response = try await RawHTTPClient.exchange(
            "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            port: server.address.port, group: group)
        try await server.shutdown()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), response)
        XCTAssertTrue(response.contains("Allow: GET, HEAD\r\n"), response)
    }

    func testKeepAliveServesSeveralRequestsAndShutdownClosesTheConnection() async throws {
        let server = try await startServer(MetricsExporter())
        let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
        let connection = try await RawHTTPClient.connect(port: server.address.port, group: group)
        try await connection.send(request + request)
        let responses = try await connection.responses(2)
        XCTAssertEqual(responses.filter { $0.hasPrefix("HTTP/1.1 200 OK\r\n") }.count, 2, "\(responses)")
        XCTAssertFalse(responses.contains { $0.contains("Connection: close") }, "\(responses)")

        try await server.shutdown()
        let everything = try await connection.closed()
        XCTAssertEqual(everything, responses.joined())
    }
}
