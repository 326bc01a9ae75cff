import DevicePKI
import Foundation
import Scenario

/// The faulty identities a plan's `cert-fault` steps will present, issued before the run starts so a
/// device picks its faulty identity up on its very next connect.
///
/// They live in the run's own folder (`fleet run` puts it beside the ledger), in
/// `<faults>/<kind>/devices/<clientId>/`, signed by the CA of the device's `fleet certs` folder (or, for
/// `foreign-ca`, by an untrusted CA made in `<faults>/foreign/`): the folders the plan names are only read.
public enum CertificateFaultIdentities {
    /// Where the run whose fault folder is `faults` keeps the faulty identities of `kind`.
    public static func directory(faults: String, kind: CertFaultKind) -> String {
        (faults.hasSuffix("/") ? String(faults.dropLast()) : faults) + "/" + kind.rawValue
    }

    /// Issues, into `faults`, every faulty identity the timeline needs that is not there yet; returns one
    /// line per batch issued, for the run's preamble.
    public static func prepare(plan: Plan, devices: [DevicePlan], faults: String) async throws -> [String] {
        struct Batch: Hashable {
            var folder: String
            var kind: CertFaultKind
            /// The `fleet certs` folder whose CA signs the batch.
            var certs: String
        }
        let selector = DeviceSelector(devices: devices, seed: plan.seed)
        var wanted: [Batch: Set<String>] = [:]
        for step in plan.timeline {
            guard case .certFault(let spec) = step.action else { continue }
            for ordinal in selector.select(spec.target, step: step.index) {
                let device = devices[ordinal]
                guard case .certificate(let files, _) = device.credentials,
                    let certs = certsFolder(chain: files.chain, clientID: device.clientID)
                else { continue }
                let folder = directory(faults: faults, kind: spec.kind)
                let existing = try? DeviceIdentityStore(directory: folder).identity(forClientID: device.clientID)
                guard existing == nil else { continue }
                wanted[Batch(folder: folder, kind: spec.kind, certs: certs), default: []].insert(device.clientID)
            }
        }
        var issued: [String] = []
        for (batch, ids) in wanted.sorted(by: { ($0.key.folder, $0.key.certs) < ($1.key.folder, $1.key.certs) }) {
            guard let fault = IdentityFault(rawValue: batch.kind.rawValue) else { continue }
            var request = IssueRequest(directory: batch.folder, clientIDs: .list(ids.sorted()))
            request.authorityDirectory = batch.certs
            request.foreignAuthorityParent = faults
            request.fault = fault
            let summary = try await DeviceIdentityIssuer.issue(request)
            issued.append("issued \(summary.count) \(batch.kind.rawValue) identities into \(batch.folder)")
        }
        return issued
    }

    /// `<certs>` from `<certs>/devices/<clientId>/chain.pem`.
    static func certsFolder(chain: String, clientID: String) -> String? {
        let suffix = "/devices/" + clientID + "/chain.pem"
        return chain.hasSuffix(suffix) ? String(chain.dropLast(suffix.count)) : nil
    }
}
