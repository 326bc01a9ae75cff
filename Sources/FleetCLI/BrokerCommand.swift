import ArgumentParser
import DevicePKI
import Foundation
import LabBroker
import Reports

/// `fleet broker`: the lab broker on its own, for tools other than `fleet run` (mosquitto_sub, an SDK, a
/// real device) or for several runs against one broker.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded lab broker (MQTT 3.1.1 + 5.0) with a profile: standard, eventgrid, iothub or a file.",
        discussion: """
            A lab instrument, not a production broker: it listens on loopback unless told otherwise and keeps \
            everything in memory. Profiles imitate a broker family's documented rules (Azure Event Grid, Azure \
            IoT Hub); see Sources/LabBroker/Profile/PROFILES.md. TLS listeners use the broker identity of a \
            `fleet certs` folder (server/chain.pem, server/key.pem) and trust its root for client certificates.
            """
    )

    @Option(name: .long, help: "A built-in profile (\(ProfileLoader.builtInNames.sorted().joined(separator: ", "))) or a profile file.")
    var profile = "standard"

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Plain MQTT port (0: a free one; -1: none).")
    var port = 1883

    @Option(name: .long, help: "MQTT over TLS port (needs --certs).")
    var tlsPort: Int?

    @Option(name: .long, help: "MQTT over WebSocket port (path /mqtt).")
    var wsPort: Int?

    @Option(name: .long, help: "MQTT over secure WebSocket port (needs --certs).")
    var wssPort: Int?

    @Option(name: .long, help: "A `fleet certs` folder with a broker identity (fleet certs server) for TLS listeners.")
    var certs: String?

    @Flag(name: .long, help: "Refuse TLS clients without a certificate at the handshake (default: the profile decides at CONNECT).")
    var requireClientCertificate = false

    @Option(name: .long, help: """
        Seconds between refreshes of the status line (0: none); into a pipe or file a plain line comes when the \
        counts change, and otherwise every 5 s (or every N s, when N is longer).
        """)
    var statusEvery: Double = 1

    func validate() throws {
        if (tlsPort != nil || wssPort != nil) && certs == nil {
            throw ValidationError("--tls-port and --wss-port need --certs FOLDER (make one with `fleet certs init` and `fleet certs server`)")
        }
        if port < -1 || port > 65_535 { throw ValidationError("--port must be 0–65535, or -1 for no plain listener") }
    }

    func run() async throws {
        let brokerProfile: LabBroker.BrokerProfile
        do {
            brokerProfile = try LabProfiles.resolve(profile)
        } catch {
            FileHandle.standardError.write(Data("fleet broker: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let server: LabBrokerServer
        do {
            server = try await LabBrokerServer.start(profile: brokerProfile, listeners: listeners())
        } catch {
            FileHandle.standardError.write(Data("fleet broker: \(error)\n".utf8))
            throw ExitCode(3)
        }
        print("lab broker: profile \(brokerProfile.name) — \(brokerProfile.summary)")
        print("  a lab instrument, not a production broker; Ctrl-C stops it")
        for listener in server.listeners { print("  listening on \(listener.url)") }

        let stop = AsyncStream<Void>.makeStream()
        let interruption = RunInterruption()
        let signals = interruption.install(announce: false) { stop.continuation.finish() }
        let status = Task {
            guard statusEvery > 0 else { return }
            var display = LiveDisplay<BrokerStatistics>(terminal: StandardOutput.isTerminal,
                                                        heartbeatSeconds: max(statusEvery, 5))
            let started = ContinuousClock.now
            var previous = await server.statistics()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(statusEvery))
                let now = await server.statistics()
                var counts = now
                (counts.publishesReceived, counts.publishesSent) = (0, 0)
                let line = display.refresh(counts, atNs: UInt64((ContinuousClock.now - started) / .nanoseconds(1)),
                                           columns: display.terminal ? StandardOutput.columns() : 0) {
                    BrokerStatusLine.render(now, previous: previous, seconds: statusEvery, style: $0, width: $1)
                }
                if let line { StandardOutput.write(line) }
                previous = now
            }
            if let end = display.finish() { StandardOutput.write(end) }
        }
        for await _ in stop.stream {}
        status.cancel()
        await status.value
        signals.forEach { $0.cancel() }
        try await server.shutdown()
        print("lab broker: stopped")
    }

    private func listeners() throws -> [ListenerConfiguration] {
        var listeners: [ListenerConfiguration] = []
        if port >= 0 { listeners.append(.tcp(host: host, port: port)) }
        if let wsPort { listeners.append(.webSocket(host: host, port: wsPort)) }
        if let certs {
            let layout = PKILayout(directory: certs)
            let identity = TLSServerIdentity(certificateChainPath: layout.serverChain, privateKeyPath: layout.serverKey)
            let clients: ClientCertificatePolicy = requireClientCertificate
                ? .required(trustRoots: layout.rootCertificate) : .optional(trustRoots: layout.rootCertificate)
            if let tlsPort { listeners.append(.tls(host: host, port: tlsPort, identity: identity, clientCertificates: clients)) }
            if let wssPort {
                listeners.append(.secureWebSocket(host: host, port: wssPort, identity: identity, clientCertificates: clients))
            }
        }
        return listeners
    }
}

/// `fleet broker`'s status line: what is connected now and what moved since the last line, fitted to
/// `width` columns as the run's live line is (rates go first, refusals and wills stay longest).
enum BrokerStatusLine {
    static func render(_ now: BrokerStatistics, previous: BrokerStatistics, seconds: Double,
                       style: TerminalStyle, width: Int) -> String {
        let inRate = Double(now.publishesReceived - previous.publishesReceived) / seconds
        let outRate = Double(now.publishesSent - previous.publishesSent) / seconds
        return LiveLine.render([
            LiveField("connections \(now.connections)", priority: 90),
            LiveField("sessions \(now.sessions)", priority: 60),
            LiveField("subscriptions \(now.subscriptions)", priority: 50),
            LiveField("in \(Int(inRate.rounded()))/s", priority: 30),
            LiveField("out \(Int(outRate.rounded()))/s", priority: 20),
            LiveField("wills \(now.willsPublished)", priority: 70),
            LiveField("refused \(now.connectsRefused)", priority: 80),
            LiveField("retained \(now.retainedMessages)", priority: 40),
        ], width: width, style: style)
    }
}
