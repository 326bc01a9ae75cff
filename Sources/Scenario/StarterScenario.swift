import Foundation
import MQTTCore

/// The commented starter scenario `fleet init` writes: the quickstart's shape (telemetry, two abrupt cuts whose
/// wills must arrive, a clean stop) aimed at the user's broker, sized to their fleet, every line saying what
/// to change. Pure text: the command writes it and makes the certificate folder it names.
public struct StarterScenario: Sendable, Hashable {
    /// A request `fleet init` cannot turn into a scenario that would play as written.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    /// `lab`, `lab:PROFILE-FILE`, or an `mqtt://`, `mqtts://`, `ws://` or `wss://` URL.
    public let broker: String
    public let devices: Int
    /// Client certificates: the scenario names `certificates` as its devices' `fleet certs` folder.
    public let tls: Bool
    /// The folder the scenario presents identities from, as the file names it (relative to the working directory).
    public let certificates: String
    /// The scenario's name, also its client IDs' and topics' prefix.
    public let name: String

    public init(broker: String = "lab", devices: Int = 10, tls: Bool = false, name: String, certificates: String) throws(Problem) {
        guard (1...100_000).contains(devices) else {
            throw Problem(description: "--devices must be from 1 to 100000, got \(devices)")
        }
        if broker == "lab:eventgrid" || broker == "lab:iothub" {
            throw Problem(description: """
                \(broker) has rules a starter file would break (topic spaces, retain, usernames): start from the \
                library's \(broker == "lab:eventgrid" ? "Scenarios/eventgrid-takeover-refused.yaml" : "Scenarios/iothub-twin-and-methods.yaml") \
                and issue its identities with `fleet certs scenario FILE`
                """)
        }
        if !(broker == "lab" || broker.hasPrefix("lab:")) {
            let url: BrokerURL
            do {
                url = try BrokerURL(parsing: broker)
            } catch {
                throw Problem(description: "--broker: \(error) (expected lab[:PROFILE] or mqtt://, mqtts://, ws://, wss:// HOST[:PORT])")
            }
            if tls, !url.usesTLS {
                throw Problem(description: "--tls needs a TLS broker: use \(url.scheme.isWebSocket ? "wss" : "mqtts")://\(url.host):PORT")
            }
        }
        self.broker = broker
        self.devices = devices
        self.tls = tls
        self.name = name
        self.certificates = certificates
    }

    private var isLab: Bool { broker == "lab" || broker.hasPrefix("lab:") }

    /// The client ID the observers present a certificate as, issued beside the devices'.
    public static let observerClientID = "fleet-observer"

    /// Ramps pace connects (a broker's listen backlog overflows at hundreds at once): about 200 a second.
    private var rampSeconds: Int { max(2, (devices + 199) / 200) }

    public var yaml: String {
        let ramp = rampSeconds
        let cutAt = ramp + 5
        let stopAt = cutAt + 15
        let cut = devices >= 20 ? "10%" : devices >= 10 ? "2" : "1"
        var lines = [
            "# \(name) — a starter scenario written by `fleet init`: \(devices) \(devices == 1 ? "device connects" : "devices connect"), publish QoS 1 telemetry,",
            "# \(cut == "10%" ? "10% of them" : cut == "1" ? "one" : cut) lose\(cut == "1" ? "s" : "") power (abrupt disconnect) and come back, every will must arrive, then everyone stops cleanly.",
            "# Run it from this working directory (paths in the file are relative to it): fleet run <this file>",
            "# The format, every key and the library of field failures: Scenarios/README.md. The file is checked before",
            "# anything connects, every problem reported as file:line:column. Editors validate it with",
            "# Scenarios/fleet-scenario.schema.json (# yaml-language-server: $schema=<path to it>).",
            "name: \(name)",
            "seed: 1                                  # same seed ⇒ the same devices picked at the same times",
        ]
        lines += brokerLines
        lines += [
            "groups:",
            "  - name: sensors",
            "    count: \(devices)",
            "    client-id: \"\(name)-{index:0\(max(2, String(devices).count))}\"   # {index} is 1-based, {index:03} zero-padded",
            "    personality: esp-mqtt                 # the firmware library's defaults: pubsubclient | esp-mqtt | nanoframework | custom",
            "    keepalive: 30s",
        ]
        if tls {
            lines.append("    credentials: { certificates: \(quoted(certificates)) }   # \(certificates)/devices/<clientId>/chain.pem + key.pem")
        } else {
            lines.append("    # credentials: { username: \"{clientId}\", password: secret }   # or { certificates: <a fleet certs folder> }")
        }
        lines += [
            "    telemetry:",
            "      topic: \"devices/{clientId}/sequence\"",
            "      every: 2s",
            "      qos: 1",
            "      # {sequence} lets the observers count loss, duplicates and reordering; {timestamp} (Unix ms) end-to-end latency.",
            "      payload: '{\"ClientID\":\"{clientId}\",\"Sequence\":{sequence},\"Timestamp\":{timestamp}}'",
            "    will: { topic: \"devices/{clientId}/status\", payload: offline, qos: 1 }    # the Last Will the broker must publish",
            "    birth: { topic: \"devices/{clientId}/status\", payload: online, qos: 1 }",
        ]
        if tls {
            lines += [
                "observer:                                # the fleet's own subscribers, connected before the devices",
                "  credentials:",
                "    certificate: \(quoted(certificates + "/devices/\(Self.observerClientID)/chain.pem"))",
                "    key: \(quoted(certificates + "/devices/\(Self.observerClientID)/key.pem"))",
            ]
        }
        lines += [
            "timeline:",
            "  - { at: 0s, ramp: { over: \(ramp)s } }                                   # everyone connects, spread over \(ramp) s",
            "  - { at: \(cutAt)s, disconnect: { select: \(cut), mode: abrupt, reconnect: 5s } }   # power cut: no DISCONNECT, the will is due",
            "  # - { at: \(cutAt + 5)s, throttle: { select: 10%, bandwidth: 2kbit/s, latency: 400ms, for: 5s } }   # a cellular link",
            "  # - { at: \(cutAt + 5)s, duplicate-client-id: { select: 1, impostor-retries: 3, every: 1s } }   # a cloned board",
            "  - { at: \(stopAt)s, stop: graceful }                                     # DISCONNECT: no will may follow",
            "expect:",
            "  wills: { abrupt: delivered, graceful: none }",
            "  telemetry: { max-loss: 0 }",
            "  connected-at-end: { exactly: \(devices) }",
            "  latency: { connack: { p99: 2s } }",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    private var brokerLines: [String] {
        if isLab {
            let profile = broker == "lab" ? "" : "   # a lab broker profile file: Sources/LabBroker/Profile/PROFILES.md"
            var lines = [
                "broker:                                  # the embedded lab broker, started by the run on a free loopback port;",
                "                                         #   `fleet run FILE --broker mqtt://HOST:PORT` aims the file at yours",
                "  url: \(broker)\(profile)",
            ]
            if tls { lines.append("  tls: true                              # the lab broker makes its own CA and trusts the devices' root") }
            return lines
        }
        let usesTLS = (try? BrokerURL(parsing: broker))?.usesTLS ?? false
        var lines = [
            "broker:",
            "  url: \(broker)",
        ]
        if usesTLS {
            lines.append("  # ca: broker-root.pem                  # the roots that signed the broker's certificate; omitted ⇒ the system's")
        }
        if tls {
            lines.append("# The broker must trust \(certificates)/root.pem (mosquitto: cafile, require_certificate true,")
            lines.append("#   use_identity_as_username true): each device's certificate CN is its client ID.")
        }
        return lines
    }

    /// Double-quoted when a YAML plain scalar would not read back as the same text.
    private func quoted(_ path: String) -> String {
        path.allSatisfy { $0.isLetter || $0.isNumber || "/._-".contains($0) } && !path.hasPrefix(".") ? path
            : "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
