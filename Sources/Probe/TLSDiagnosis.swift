import MQTTClient

/// Turns a classified TLS failure into what the user should check, reading the alert the broker
/// sent: the alert names *why* a broker refused a client certificate, which is exactly what a
/// device author cannot see from the device. Where the identity files themselves say why (a missing
/// intermediate, another CA), that is the diagnosis and the alert its evidence.
enum TLSDiagnosis {
    static func explain(_ failure: MQTTTLSFailure, presentedClientCertificate: Bool,
                        identity: ClientIdentityCheck? = nil) -> Diagnosis {
        switch failure.kind {
        case .serverCertificateNotTrusted:
            return Diagnosis(problem: "the broker's certificate is not trusted (\(failure.detail))",
                             hint: "pass --ca with the root CA that issued the broker's certificate")
        case .hostnameMismatch:
            return Diagnosis(problem: "the broker's certificate does not name this host (\(failure.detail))",
                             hint: "connect by a name in the certificate, or pass --server-name")
        case .alertReceived, .closedDuringHandshake, .other:
            break
        }
        if failure.has("CERTIFICATE_REQUIRED") || (!presentedClientCertificate && failure.has("HANDSHAKE_FAILURE")) {
            return Diagnosis(problem: "the broker requires a client certificate and none was sent",
                             hint: "pass --cert (device certificate + intermediate, PEM) and --key")
        }
        if presentedClientCertificate, let chain = identity?.chainProblem, failure.kind != .other,
           !failure.has("CERTIFICATE_EXPIRED"), !failure.has("CERTIFICATE_REVOKED") {
            let answer = failure.kind == .closedDuringHandshake ? "closed the connection" : "answered \(failure.detail)"
            return Diagnosis(problem: "\(chain.problem); the broker \(answer)", hint: chain.hint)
        }
        if failure.has("UNKNOWN_CA") {
            return Diagnosis(problem: "the broker does not trust the CA that issued the client certificate (alert: unknown CA)",
                             hint: "the chain file must hold the device certificate AND its intermediate; the broker's cafile must hold the root")
        }
        if failure.has("CERTIFICATE_EXPIRED") {
            return Diagnosis(problem: "the broker says the client certificate has expired (alert: certificate expired)",
                             hint: "issue a new device certificate (fleet certs issue), or check the broker's clock")
        }
        if failure.has("CERTIFICATE_REVOKED") {
            return Diagnosis(problem: "the broker says the client certificate is revoked", hint: "issue a new device certificate")
        }
        if failure.has("BAD_CERTIFICATE") || failure.has("CERTIFICATE_UNKNOWN") || failure.has("UNSUPPORTED_CERTIFICATE") {
            return Diagnosis(problem: "the broker rejected the client certificate (\(failure.detail))",
                             hint: "check that it is not expired or not yet valid, that it chains to the broker's CA, and that the key matches")
        }
        if failure.kind == .closedDuringHandshake {
            return Diagnosis(problem: "the broker closed the connection during the TLS handshake",
                             hint: presentedClientCertificate
                                ? "it may have rejected the client certificate; look at the broker's log"
                                : "it may require a client certificate (--cert, --key) or other TLS versions")
        }
        return Diagnosis(problem: "TLS failed: \(failure)", hint: "look at the broker's log for the TLS error it saw")
    }
}
