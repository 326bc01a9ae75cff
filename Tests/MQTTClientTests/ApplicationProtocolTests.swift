import DevicePKI
import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import XCTest

/// ALPN as a TLS server sees it. Neither test broker can say what was offered (mosquitto 2.0 has ALPN
/// only for bridges; amqtt's Python TLS context sets none), so a local NIO TLS server records the
/// protocol it negotiated, then answers CONNECT with a CONNACK or, for WebSocket clients, closes.
final class ApplicationProtocolTests: XCTestCase {
    private var directory: URL!
    private var server: (any Channel)?
    /// Completed by the first handshake; failed at tear-down if no connection got that far.
    private var negotiated: EventLoopPromise<String?>?

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestBroker.uniqueID("alpn-server"))
        _ = try CertificateAuthoritySetup.create(CertificateAuthorityOptions(directory: directory.path))
    }

    override func tearDown() async throws {
        negotiated?.fail(ChannelError.ioOnClosedChannel)
        try await server?.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Hands the protocol the TLS handshake settled on (nil: none) to the test, for the first connection.
    private final class NegotiationRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let negotiated: EventLoopPromise<String?>
        private let closeAfterHandshake: Bool

        init(_ negotiated: EventLoopPromise<String?>, closeAfterHandshake: Bool) {
            self.negotiated = negotiated
            self.closeAfterHandshake = closeAfterHandshake
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted(let negotiatedProtocol) = event {
                negotiated.succeed(negotiatedProtocol)
                if closeAfterHandshake { context.close(promise: nil) }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(data)
        }
    }

    /// Starts a TLS server on loopback that supports `protocols`; the future gives what was negotiated.
    private func startServer(supporting protocols: [String], closeAfterHandshake: Bool = false) async throws
        -> (MQTTEndpoint, TLSSettings, EventLoopFuture<String?>) {
        let files = try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory.path, hosts: ["127.0.0.1"]))
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.chain).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem)))
        configuration.applicationProtocols = protocols
        let context = try NIOSSLContext(configuration: configuration)
        let negotiated = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: String?.self)
        self.negotiated = negotiated
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLServerHandler(context: context))
                    try pipeline.addHandler(NegotiationRecorder(negotiated, closeAfterHandshake: closeAfterHandshake))
                    try pipeline.addHandler(FakeBrokerEndingTests.FakeBrokerHandler(log: FakeBrokerEndingTests.PeerLog()))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        server = channel
        let endpoint = MQTTEndpoint(host: "127.0.0.1", port: try XCTUnwrap(channel.localAddress?.port))
        return (endpoint, TLSSettings(caFiles: [files.trustedRoot]), negotiated.futureResult)
    }

    private func connect(_ endpoint: MQTTEndpoint, _ settings: TLSSettings) async throws -> MQTTClient {
        try await MQTTClient.connect(
            to: endpoint, tls: settings, configuration: MQTTConnectionConfiguration(clientIdentifier: TestBroker.uniqueID("alpn")))
    }

    func testTheOfferedProtocolIsNegotiated() async throws {
        let (endpoint, trust, negotiated) = try await startServer(supporting: ["mqtt"])
        var settings = trust
        settings.applicationProtocols = ["mqtt"]
        let client = try await connect(endpoint, settings)
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        let selected = try await negotiated.get()
        XCTAssertEqual(selected, "mqtt")
        await client.close(.graceful)
    }

    /// A cloud gateway on 443 picks its route from our list: the server's choice among several offered.
    func testTheServerPicksTheOneItKnowsFromSeveral() async throws {
        let (endpoint, trust, negotiated) = try await startServer(supporting: ["mqtt"])
        var settings = trust
        settings.applicationProtocols = ["x-amzn-mqtt-ca", "mqtt"]
        let client = try await connect(endpoint, settings)
        let selected = try await negotiated.get()
        XCTAssertEqual(selected, "mqtt")
        await client.close(.graceful)
    }

    func testNoProtocolsMeansNoALPN() async throws {
        let (endpoint, trust, negotiated) = try await startServer(supporting: ["mqtt"])
        let client = try await connect(endpoint, trust)
        let selected = try await negotiated.get()
        XCTAssertNil(selected)
        await client.close(.graceful)
    }

    /// wss:// offers the same ALPN before its HTTP upgrade; the server closes once it has recorded it.
    func testSecureWebSocketOffersItToo() async throws {
        let (tcpEndpoint, trust, negotiated) = try await startServer(supporting: ["http/1.1", "mqtt"], closeAfterHandshake: true)
        var endpoint = tcpEndpoint
        endpoint.transport = .webSocket(MQTTWebSocketSettings())
        var settings = trust
        settings.applicationProtocols = ["mqtt"]
        do {
            let client = try await connect(endpoint, settings)
            await client.close(.abrupt)
            XCTFail("the recording server does not upgrade, yet the client connected")
        } catch MQTTClientError.webSocketUpgrade(.closedBeforeResponse) {
        }
        let selected = try await negotiated.get()
        XCTAssertEqual(selected, "mqtt")
    }

    /// amqtt's wss listener has no ALPN: offering one to such a server changes nothing.
    func testAServerWithoutALPNIgnoresTheOffer() async throws {
        var settings = TestBroker.serverTLSSettings
        settings.applicationProtocols = ["mqtt"]
        let client = try await MQTTClient.connect(
            to: TestBroker.secureWebSocket, tls: settings,
            configuration: TestBroker.configuration(.v3_1_1, TestBroker.uniqueID("alpn-amqtt")))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        let reason = await client.close(.graceful)
        XCTAssertEqual(reason, .ended(.graceful))
    }
}
