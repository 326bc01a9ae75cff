import DevicePKI
@testable import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import XCTest

/// Starting and stopping the server: listeners and their URLs, refusals at start, and a shutdown that
/// closes every connection and leaves nothing listening.
final class ServerLifecycleTests: XCTestCase {
    func testListenersGetFreePortsAndTheURLsClientsUse() async throws {
        let pki = try await TestPKI.make(self)
        let server = try await startServer(self, listeners: [
            .tcp(), .tls(identity: pki.identity), .webSocket(), .secureWebSocket(path: "/ws", identity: pki.identity),
        ])
        let listeners = server.listeners
        XCTAssertEqual(listeners.map(\.transport), [.tcp, .tls, .webSocket, .secureWebSocket])
        XCTAssertEqual(Set(listeners.map(\.port)).count, 4, "four distinct ports")
        for listener in listeners {
            XCTAssertGreaterThan(listener.port, 0)
            XCTAssertEqual(listener.host, "127.0.0.1")
        }
        XCTAssertEqual(listeners.map(\.url), [
            "mqtt://127.0.0.1:\(listeners[0].port)", "mqtts://127.0.0.1:\(listeners[1].port)",
            "ws://127.0.0.1:\(listeners[2].port)/mqtt", "wss://127.0.0.1:\(listeners[3].port)/ws",
        ])
    }

    func testATLSOnlyProfileRefusesPlainListeners() async throws {
        var profile = BrokerProfile()
        profile.name = "tls-only"
        profile.requiresTLS = true
        for listener in [ListenerConfiguration.tcp(), .webSocket()] {
            do {
                let server = try await LabBrokerServer.start(profile: profile, listeners: [listener])
                try await server.shutdown()
                XCTFail("opened \(listener) for a profile that requires TLS")
            } catch let error as LabBrokerServerError {
                guard case .plainListenerRefused(let name, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(name, "tls-only")
                XCTAssertTrue(error.description.contains("requires TLS"), error.description)
            }
        }
        let pki = try await TestPKI.make(self)
        let server = try await startServer(self, profile: profile, listeners: [.tls(identity: pki.identity)])
        XCTAssertEqual(server.listeners.map(\.transport), [.tls])
    }

    func testMissingServerIdentityIsAClearError() async throws {
        let identity = TLSServerIdentity(certificateChainPath: "/nonexistent/chain.pem", privateKeyPath: "/nonexistent/key.pem")
        do {
            let server = try await LabBrokerServer.start(profile: BrokerProfile(), listeners: [.tls(identity: identity)])
            try await server.shutdown()
            XCTFail("started without a certificate")
        } catch let error as LabBrokerServerError {
            guard case .tlsConfiguration(let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("/nonexistent/chain.pem"), detail)
        }
    }

    func testAPortInUseIsABindError() async throws {
        let first = try await startServer(self)
        let port = try first.listener(.tcp).port
        do {
            let second = try await LabBrokerServer.start(profile: BrokerProfile(), listeners: [.tcp(), .tcp(port: port)])
            try await second.shutdown()
            XCTFail("bound a port that is in use")
        } catch let error as LabBrokerServerError {
            guard case .bindFailed(let listener, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(listener, "mqtt://127.0.0.1:\(port)")
        }
    }

    func testShutdownClosesEveryConnectionAndListener() async throws {
        let server = try await startServer(self, listeners: [.tcp(), .webSocket()])
        let tcp = try server.listener(.tcp)
        let webSocket = try server.listener(.webSocket)
        let idle = try await RawClient.connect(port: tcp.port)
        // A connection still in its HTTP phase (no upgrade request yet) is closed too.
        let handshaking = try await RawClient.connect(port: webSocket.port)
        let upgraded = try await WebSocketClient.connect(to: webSocket)

        try await within(10, "shutdown") { try await server.shutdown() }
        let idleEnd = await idle.bytesUntilClosed()
        XCTAssertTrue(idleEnd.closed, "an idle TCP client sees EOF")
        let handshakingEnd = await handshaking.bytesUntilClosed()
        XCTAssertTrue(handshakingEnd.closed)
        let upgradedEvents = await upgraded.eventsUntilClosed()
        XCTAssertTrue(upgradedEvents.contains { if case .closed = $0 { true } else { false } })

        for port in [tcp.port, webSocket.port] {
            do {
                let late = try await RawClient.connect(port: port)
                try? await late.channel.close()
                XCTFail("connected to port \(port) after shutdown")
            } catch {
                // Connection refused: nothing listens any more.
            }
        }
        try await within(5, "a second shutdown") { try await server.shutdown() }
    }

    func testAServerOnAGivenGroupLeavesTheGroupRunning() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        addTeardownBlock { try? await group.shutdownGracefully() }
        let server = try await LabBrokerServer.start(profile: BrokerProfile(), listeners: [.tcp()], group: group)
        XCTAssertTrue(server.eventLoop === group.next())
        try await server.shutdown()
        let answer = try await group.next().submit { 42 }.get()
        XCTAssertEqual(answer, 42)
    }
}
