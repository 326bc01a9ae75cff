import DevicePKI
import Foundation
import Scenario

/// The `fleet certs` identities a plan's devices and observer present, and the ones it lacks: what
/// `fleet certs scenario FILE` issues, so a scenario that names a certificate folder can be run by someone
/// who has only the file.
public enum PlanIdentities {
    /// One `fleet certs` folder and the client IDs (identity folders) the plan presents from it.
    public struct Folder: Sendable, Hashable {
        public var directory: String
        public var clientIDs: [String]
    }

    /// Every folder the plan presents identities from, in first-use order, each with its client IDs sorted.
    /// The sessions of a multi-session identity share its folder; the observer's identity counts too.
    public static func named(by plan: Plan) -> [Folder] {
        var order: [String] = []
        var ids: [String: Set<String>] = [:]
        func add(chain: String) {
            let id = URL(fileURLWithPath: chain).deletingLastPathComponent().lastPathComponent
            // An observer's own files outside a `fleet certs` folder are not ours to make.
            guard let folder = CertificateFaultIdentities.certsFolder(chain: chain, clientID: id) else { return }
            if ids[folder] == nil { order.append(folder) }
            ids[folder, default: []].insert(id)
        }
        for device in plan.devices() {
            if case .certificate(let files, _) = device.credentials { add(chain: files.chain) }
        }
        if let observer = plan.observer.identity { add(chain: observer.chain) }
        return order.map { Folder(directory: $0, clientIDs: ids[$0, default: []].sorted()) }
    }

    /// The identities of `folders` whose chain or key is not there yet.
    public static func missing(in folders: [Folder]) -> [Folder] {
        folders.compactMap { folder in
            let absent = folder.clientIDs.filter { id in
                let files = DeviceIdentityFiles(directory: folder.directory, clientID: id)
                return ![files.chain, files.key].allSatisfy { FileManager.default.fileExists(atPath: $0) }
            }
            return absent.isEmpty ? nil : Folder(directory: folder.directory, clientIDs: absent)
        }
    }

    /// Issues every missing identity of the plan; a folder without a CA gets one first (under `existingRoot`
    /// when given, e.g. the root a broker already trusts). Identities already there are kept. Returns one line
    /// per thing made.
    public static func issueMissing(
        plan: Plan, existingRoot: CertificateAuthorityOptions.ExistingRoot? = nil
    ) async throws -> [String] {
        var made: [String] = []
        for folder in missing(in: named(by: plan)) {
            let layout = PKILayout(directory: folder.directory)
            if !FileManager.default.fileExists(atPath: layout.intermediateCertificate) {
                var options = CertificateAuthorityOptions(directory: folder.directory)
                options.existingRoot = existingRoot
                let files = try CertificateAuthoritySetup.create(options)
                made.append("made a CA in \(folder.directory) (root \(files.rootCertificate))")
            }
            let summary = try await DeviceIdentityIssuer.issue(
                IssueRequest(directory: folder.directory, clientIDs: .list(folder.clientIDs)))
            made.append("issued \(summary.count) identities into \(folder.directory)/devices")
        }
        return made
    }
}
