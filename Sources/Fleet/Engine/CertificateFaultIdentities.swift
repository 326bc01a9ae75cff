import DevicePKI
import Foundation
import Scenario

/// The faulty identities a plan's `cert-fault` steps will present, issued before the run starts so a
/// device picks its faulty identity up on its very next connect.
///
/// They live beside the good ones, in `<certs>/faults/<kind>/devices/<clientId>/`, signed by `<certs>`'s
/// own CA (or the foreign CA for `foreign-ca`), and are reused by later runs.
public enum CertificateFaultIdentities {
    /// Where the faulty identities of `kind` for devices of the `fleet certs` folder `certs` live.
    public static func directory(certs: String, kind: CertFaultKind) -> String {
        (certs.hasSuffix("/") ? String(certs.dropLast()) : certs) + "/faults/" + kind.rawValue
    }

    /// Issues every faulty identity the timeline needs that does not exist yet; returns one line per
    /// batch issued, for the run's preamble.
    public static func prepare(plan: Plan, devices: [DevicePlan]) async throws -> [String] {
        let selector = DeviceSelector(devices: devices, seed: plan.seed)
        var wanted: [String: (kind: CertFaultKind, certs: String, ids: [String])] = [:]
        for step in plan.timeline {
            guard case .certFault(let spec) = step.action else { continue }
            for ordinal in selector.select(spec.target, step: step.index) {
                let device = devices[ordinal]
                guard case .certificate(let files, _) = device.credentials,
                    let certs = certsFolder(chain: files.chain, clientID: device.clientID)
                else { continue }
                let folder = directory(certs: certs, kind: spec.kind)
                let existing = try? DeviceIdentityStore(directory: folder).identity(forClientID: device.clientID)
                guard existing == nil else { continue }
                wanted[folder, default: (spec.kind, certs, [])].ids.append(device.clientID)
            }
        }
        var issued: [String] = []
        for (folder, batch) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let fault = IdentityFault(rawValue: batch.kind.rawValue) else { continue }
            var request = IssueRequest(directory: folder, clientIDs: .list(Array(Set(batch.ids)).sorted()))
            request.authorityDirectory = batch.certs
            request.fault = fault
            let summary = try await DeviceIdentityIssuer.issue(request)
            issued.append("issued \(summary.count) \(batch.kind.rawValue) identities into \(folder)")
        }
        return issued
    }

    /// `<certs>` from `<certs>/devices/<clientId>/chain.pem`.
    static func certsFolder(chain: String, clientID: String) -> String? {
        let suffix = "/devices/" + clientID + "/chain.pem"
        return chain.hasSuffix(suffix) ? String(chain.dropLast(suffix.count)) : nil
    }
}
