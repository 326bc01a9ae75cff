import ArgumentParser
import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import Probe

/// `fleet probe URL`: connect once, step by step, and say which layer fails and why.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Diagnose one connection step by step: DNS, TCP, TLS, client certificate, HTTP upgrade, CONNECT, round trips.",
        discussion: """
            Each layer is tried on its own so that a failure names the layer that broke, with a plain diagnosis.
            ws:// and wss:// add the WebSocket upgrade (subprotocol mqtt, at the URL's path) as a step of its own.
            Before the client certificate's handshake, --cert and --key are read: the key's format, that it is the certificate's key, the dates, and how the chain links to --ca (so a missing intermediate and another CA are told apart when the broker refuses).
            Examples:
              fleet probe mqtt://127.0.0.1:1883 --round-trip probe/echo
              fleet probe ws://127.0.0.1:8080/mqtt --mqtt 3.1.1
              fleet probe 'wss://myhub.azure-devices.net/$iothub/websocket' --mqtt 3.1.1 --client-id dev-1 ...
              fleet probe mqtts://localhost:8883 --ca Certs/root.pem --cert Certs/devices/dev-1/chain.pem \\
                --key Certs/devices/dev-1/key.pem --client-id dev-1 --will-topic devices/dev-1/status
            Exit status: 0 when every step passed, 1 otherwise.
            """
    )

    @Argument(help: "Broker URL: mqtt://host[:port], mqtts://host[:port], ws://host[:port][/path] or wss://host[:port][/path] (path: /mqtt unless given).")
    var url: String

    @Option(help: "CA certificate(s) to trust, PEM (repeatable). Default: the system's trust store.")
    var ca: [String] = []

    @Option(help: "Client certificate chain, PEM: the device certificate followed by its intermediate.")
    var cert: String?

    @Option(help: "Private key of the client certificate, unencrypted PEM (PKCS#8, SEC1 EC or PKCS#1 RSA).")
    var key: String?

    @Option(help: "Name to send in SNI and to check the broker's certificate against (default: the URL's host).")
    var serverName: String?

    @Option(help: "ALPN protocol to offer in the TLS handshake, most preferred first (repeatable), e.g. mqtt.")
    var alpn: [String] = []

    @Flag(help: "Do not check that the broker's certificate names the host (the chain is still verified).")
    var insecureSkipHostnameCheck = false

    @Flag(help: "Do not verify the broker's certificate at all.")
    var insecureSkipVerify = false

    @Option(help: "Client ID (default: fleet-probe-<random>).")
    var clientID: String?

    @Option(help: "Username for CONNECT.")
    var username: String?

    @Option(help: "Password for CONNECT.")
    var password: String?

    @Option(help: "MQTT protocol version: 5 or 3.1.1.")
    var mqtt: String = "5"

    @Option(help: "Keep alive in seconds.")
    var keepalive: UInt16 = 30

    @Option(help: "Topic for a subscribe + QoS 1 publish round trip.")
    var roundTrip: String?

    @Option(help: "Set a will on this topic, then close abruptly and check that a second connection receives it.")
    var willTopic: String?

    @Option(help: "Will payload.")
    var willPayload = "offline"

    @Option(help: "Will QoS (0, 1 or 2).")
    var willQos: UInt8 = 1

    @Flag(help: "Set the will's retain flag.")
    var willRetain = false

    @Option(help: "MQTT 5 will delay interval, seconds.")
    var willDelay: UInt32?

    @Option(help: "Seconds to wait for the will after the abrupt close (the will delay is added).")
    var willTimeout: Double = 5

    @Option(help: "Seconds allowed for each connect, handshake and acknowledgement.")
    var timeout: Double = 5

    @Option(help: "Local source address to connect from, e.g. 127.0.0.2.")
    var bind: String?

    func validate() throws {
        guard ["5", "5.0", "3.1.1", "3"].contains(mqtt) else {
            throw ValidationError("--mqtt must be 5 or 3.1.1, not '\(mqtt)'")
        }
        guard (cert == nil) == (key == nil) else {
            throw ValidationError("--cert and --key go together: a client certificate needs its private key")
        }
        guard willQos <= 2 else { throw ValidationError("--will-qos must be 0, 1 or 2") }
        guard timeout > 0, willTimeout > 0 else { throw ValidationError("--timeout and --will-timeout must be positive") }
        if willDelay != nil && mqtt.hasPrefix("3") {
            throw ValidationError("--will-delay needs MQTT 5 (a 3.1.1 CONNECT cannot carry it)")
        }
    }

    func run() async throws {
        let brokerURL: BrokerURL
        do {
            brokerURL = try BrokerURL(parsing: url)
        } catch {
            throw ValidationError("\(error)")
        }
        let verification: TLSSettings.Verification =
            insecureSkipVerify ? .none : (insecureSkipHostnameCheck ? .noHostnameVerification : .fullVerification)
        let version: MQTTProtocolVersion = mqtt.hasPrefix("3") ? .v3_1_1 : .v5_0
        let will = willTopic.map { topic in
            Will(topic: topic, payload: ByteBuffer(string: willPayload), qos: QoS(rawValue: willQos) ?? .atLeastOnce,
                 retain: willRetain, properties: willDelay.map { [.willDelayInterval($0)] } ?? [])
        }
        let options = ProbeOptions(
            url: brokerURL,
            tls: TLSSettings(caFiles: ca, certificateChainFile: cert, privateKeyFile: key, serverName: serverName,
                             verification: verification, applicationProtocols: alpn),
            clientID: clientID ?? "fleet-probe-\(UUID().uuidString.prefix(8).lowercased())",
            username: username, password: password, version: version, keepAliveSeconds: keepalive,
            roundTripTopic: roundTrip, will: will,
            willTimeout: .nanoseconds(Int64(willTimeout * 1e9)), timeout: .nanoseconds(Int64(timeout * 1e9)),
            sourceAddress: bind)
        let report = await Prober().run(options)
        print(report.rendered())
        if !report.succeeded { throw ExitCode(1) }
    }
}
