import DevicePKI
import Foundation
import LabBroker
import Scenario

/// The embedded lab broker of a run whose scenario names no broker, or that was given `--broker lab[:PROFILE]`:
/// started on a free loopback port before anything connects, and stopped after the observers.
struct LabBrokerLaunch {
    let server: LabBrokerServer
    let profile: LabBroker.BrokerProfile
    /// The plan's broker aimed at the running lab broker.
    let broker: BrokerSpec

    /// Starts the lab broker `spec` asks for, on TCP or, with `websocket:`, behind a WebSocket upgrade. A TLS
    /// profile gets a private CA made under `workDirectory` (never in the user's certificate folders) and
    /// trusts the roots of the plan's device and observer certificates, so mutual TLS works with identities
    /// made by `fleet certs`.
    static func start(for spec: BrokerSpec, plan: Plan, workDirectory: String) async throws -> LabBrokerLaunch {
        var profile = try LabProfiles.resolve(spec.lab ?? LabTarget.defaultProfile)
        if profile.iotHub != nil { registerSASDevices(of: plan, in: &profile) }
        guard spec.tls else {
            if profile.requiresTLS {
                throw LabLaunchError.profileNeedsTLS(profile.name)
            }
            let listener: ListenerConfiguration = spec.webSocketPath.map { .webSocket(path: $0) } ?? .tcp()
            let server = try await LabBrokerServer.start(profile: profile, listeners: [listener])
            return LabBrokerLaunch(server: server, profile: profile,
                                   broker: spec.resolvingLab(port: server.listeners[0].port, caFile: nil))
        }
        let pki = try LabPKI.make(in: workDirectory, trusting: clientRoots(of: plan))
        let clients: ClientCertificatePolicy = pki.clientTrust.map { .optional(trustRoots: $0) } ?? .none
        let listener: ListenerConfiguration = spec.webSocketPath.map {
            .secureWebSocket(path: $0, identity: pki.identity, clientCertificates: clients)
        } ?? .tls(identity: pki.identity, clientCertificates: clients)
        let server = try await LabBrokerServer.start(profile: profile, listeners: [listener])
        return LabBrokerLaunch(server: server, profile: profile,
                               broker: spec.resolvingLab(port: server.listeners[0].port, caFile: pki.rootCertificate))
    }

    /// What the run prints once the broker listens.
    var banner: String {
        "lab broker: profile \(profile.name) on \(broker.url) — \(profile.summary) (a lab instrument, not a production broker)"
    }

    /// An IoT Hub profile learns the keys of the plan's SAS devices, as registering them in the hub would:
    /// each device's own key, or the shared access policy that signs its tokens. (Held in memory only.)
    static func registerSASDevices(of plan: Plan, in profile: inout LabBroker.BrokerProfile) {
        for device in plan.devices() {
            guard case .sas(let sas) = device.credentials else { continue }
            if let policy = sas.policyName {
                profile.iotHub?.sharedAccessPolicies[policy] = sas.signingKey.base64
            } else {
                profile.iotHub?.deviceKeys[device.clientID] = sas.signingKey.base64
            }
        }
    }

    /// Roots of every certificate folder the plan's devices and observers present.
    private static func clientRoots(of plan: Plan) -> [String] {
        var roots: [String] = []
        for group in plan.groups {
            if case .certificates(let directory, _) = group.credentials {
                roots.append(PKILayout(directory: directory).rootCertificate)
            }
        }
        if let observer = plan.observer.identity {
            // `<certificates>/devices/<clientId>/chain.pem` → `<certificates>`.
            let certificates = URL(fileURLWithPath: observer.chain).deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().path
            roots.append(PKILayout(directory: certificates).rootCertificate)
        }
        return Array(Set(roots)).sorted()
    }
}

enum LabLaunchError: Error, CustomStringConvertible {
    case profileNeedsTLS(String)

    var description: String {
        switch self {
        case .profileNeedsTLS(let name):
            return "lab profile `\(name)` accepts TLS only, but the scenario's broker is plain TCP; "
                + "name a built-in TLS profile (lab:eventgrid, lab:iothub) or set `requires-tls: false` in the profile"
        }
    }
}

/// Built-in profile names and profile files, as `lab:PROFILE` and `fleet broker --profile` take them.
enum LabProfiles {
    static func resolve(_ nameOrPath: String) throws -> LabBroker.BrokerProfile {
        if ProfileLoader.builtInNames.contains(nameOrPath) { return try ProfileLoader.builtIn(named: nameOrPath) }
        return try ProfileLoader.load(path: nameOrPath)
    }
}

/// The lab broker's own CA and server identity for one run, and the client roots it trusts.
struct LabPKI {
    let identity: TLSServerIdentity
    let rootCertificate: String
    /// One PEM file with every root a client certificate may chain to; nil when no client presents one.
    let clientTrust: String?

    static func make(in directory: String, trusting clientRoots: [String]) throws -> LabPKI {
        var authority = CertificateAuthorityOptions(directory: directory)
        authority.rootSubject = SubjectFields(commonName: "fleet lab broker root CA")
        authority.intermediateSubject = SubjectFields(commonName: "fleet lab broker intermediate CA")
        let files = try CertificateAuthoritySetup.create(authority)
        let server = try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory,
                                                                          hosts: ["127.0.0.1", "localhost", "::1"]))
        var clientTrust: String?
        if !clientRoots.isEmpty {
            let bundle = directory + "/client-roots.pem"
            let pem = try clientRoots.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined(separator: "\n")
            try pem.write(toFile: bundle, atomically: true, encoding: .utf8)
            clientTrust = bundle
        }
        return LabPKI(identity: TLSServerIdentity(certificateChainPath: server.chain, privateKeyPath: server.key),
                      rootCertificate: files.rootCertificate, clientTrust: clientTrust)
    }
}
