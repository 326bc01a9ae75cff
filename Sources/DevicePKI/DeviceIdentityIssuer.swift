import Foundation

/// Issues device identities in bulk: validates the whole request first, then makes identities on a
/// few parallel workers (one per core), writes each into place as soon as it exists and streams the
/// index rows to disk, so memory stays flat however many devices are asked for.
public enum DeviceIdentityIssuer {
    /// Identities per unit of work: large enough to amortise scheduling, small enough to balance two cores.
    static let chunkSize = 64

    private struct ChunkOutcome: Sendable {
        let chunk: Int
        let entries: [IdentityIndexEntry]
        let error: PKIError?
    }

    @discardableResult
    public static func issue(_ request: IssueRequest) async throws -> IssueSummary {
        let started = ContinuousClock.now
        let layout = PKILayout(directory: request.directory)
        let authorityLayout = PKILayout(directory: request.authorityDirectory ?? request.directory)
        let foreignLayout = request.foreignAuthorityParent.map { PKILayout(directory: $0) } ?? authorityLayout
        let ids = ClientIDSequence(ids: request.clientIDs)
        try ids.validateShape()
        let validity = try ValidityPeriod.days(request.validityDays, from: request.now)
        guard SecureFiles.exists(authorityLayout.intermediateCertificate) else {
            throw PKIError.certificateAuthorityMissing(path: authorityLayout.intermediateCertificate)
        }
        let authority = try SigningAuthority.load(
            certificatePath: authorityLayout.intermediateCertificate, keyPath: authorityLayout.intermediateKey)
        try SecureFiles.checkWritable(layout.devicesDirectory)
        if request.fault == .foreignCA { try SecureFiles.checkWritable(foreignLayout.foreignDirectory) }

        var factory = DeviceIdentityFactory(
            authority: authority, foreignAuthority: nil, keyAlgorithm: request.keyAlgorithm,
            organization: request.organization, organizationalUnit: request.organizationalUnit,
            includeSubjectAlternativeName: request.includeSubjectAlternativeName,
            validity: validity, fault: request.fault, now: request.now)
        let clientIDs = try validateClientIDs(ids, factory: factory, layout: layout, overwrite: request.overwrite)

        // Nothing has been written before this point.
        try SecureFiles.makeDirectories(layout.devicesDirectory)
        if request.fault == .foreignCA {
            factory = DeviceIdentityFactory(
                authority: authority,
                foreignAuthority: try ForeignCertificateAuthority.loadOrCreate(
                    layout: foreignLayout, keyAlgorithm: request.keyAlgorithm, now: request.now),
                keyAlgorithm: request.keyAlgorithm, organization: request.organization,
                organizationalUnit: request.organizationalUnit,
                includeSubjectAlternativeName: request.includeSubjectAlternativeName,
                validity: validity, fault: request.fault, now: request.now)
        }
        let index = try IdentityIndexUpdate(layout: layout, replacing: clientIDs)
        let (written, failure) = await produce(
            ids: ids, factory: factory, installer: DeviceIdentityInstaller(layout: layout),
            index: index, parallelism: request.parallelism)
        try index.commit()
        if let failure { throw failure }

        let elapsed = ContinuousClock.now - started
        return IssueSummary(
            count: written,
            elapsedSeconds: elapsed / .seconds(1),
            firstClientID: ids[0],
            lastClientID: ids[ids.count - 1],
            indexCSV: layout.indexCSV,
            indexJSON: layout.indexJSON
        )
    }

    /// Reads client IDs from a file, one per line, trimmed; blank lines and lines starting with `#` are skipped.
    public static func readClientIDs(fromFile path: String) throws -> [String] {
        var ids: [String] = []
        try IdentityIndex.forEachLine(path: path) { line, _ in
            let id = line.trimmingCharacters(in: .whitespaces)
            if !id.isEmpty && !id.hasPrefix("#") { ids.append(id) }
        }
        guard !ids.isEmpty else { throw PKIError.emptyClientIDList(path: path) }
        return ids
    }

    /// Every ID valid, none twice, none already issued unless replacing; returns the set of IDs.
    private static func validateClientIDs(
        _ ids: ClientIDSequence, factory: DeviceIdentityFactory, layout: PKILayout, overwrite: Bool
    ) throws -> Set<String> {
        var unique = Set<String>(minimumCapacity: ids.count)
        var firstExisting: String?
        var existing = 0
        for position in 0..<ids.count {
            let id = ids[position]
            try factory.validate(clientID: id)
            guard unique.insert(id).inserted else { throw PKIError.duplicateClientID(id) }
            if !overwrite && SecureFiles.exists(layout.deviceDirectory(id)) {
                if firstExisting == nil { firstExisting = id }
                existing += 1
            }
        }
        if let firstExisting {
            throw PKIError.identityExists(
                clientID: firstExisting, path: layout.deviceDirectory(firstExisting), others: existing - 1)
        }
        return unique
    }

    /// Runs chunks on at most `parallelism` workers and appends their index rows in chunk order.
    /// Returns how many identities were written and the first failure, after which no new chunk starts.
    private static func produce(
        ids: ClientIDSequence, factory: DeviceIdentityFactory, installer: DeviceIdentityInstaller,
        index: IdentityIndexUpdate, parallelism: Int
    ) async -> (Int, PKIError?) {
        let chunkCount = (ids.count + chunkSize - 1) / chunkSize
        let width = max(1, min(parallelism, chunkCount))
        return await withTaskGroup(of: ChunkOutcome.self) { group in
            var scheduled = 0
            var nextToRecord = 0
            var waiting: [Int: ChunkOutcome] = [:]
            var written = 0
            var failure: PKIError?

            func record(_ outcome: ChunkOutcome) {
                do {
                    try index.append(outcome.entries)
                    written += outcome.entries.count
                } catch {
                    failure = failure ?? (error as? PKIError ?? .writeFailed(path: "index", reason: "\(error)"))
                }
            }

            while scheduled < width {
                let chunk = scheduled
                group.addTask { issueChunk(chunk, ids: ids, factory: factory, installer: installer) }
                scheduled += 1
            }
            while let outcome = await group.next() {
                if let error = outcome.error, failure == nil { failure = error }
                waiting[outcome.chunk] = outcome
                while let ready = waiting.removeValue(forKey: nextToRecord) {
                    record(ready)
                    nextToRecord += 1
                }
                if failure == nil && scheduled < chunkCount {
                    let chunk = scheduled
                    group.addTask { issueChunk(chunk, ids: ids, factory: factory, installer: installer) }
                    scheduled += 1
                }
            }
            // After a failure, later chunks that did finish are still on disk: index them too.
            for chunk in waiting.keys.sorted() { record(waiting[chunk]!) }
            return (written, failure)
        }
    }

    private static func issueChunk(
        _ chunk: Int, ids: ClientIDSequence, factory: DeviceIdentityFactory, installer: DeviceIdentityInstaller
    ) -> ChunkOutcome {
        var entries: [IdentityIndexEntry] = []
        let range = chunk * chunkSize..<min((chunk + 1) * chunkSize, ids.count)
        entries.reserveCapacity(range.count)
        for position in range {
            do {
                let material = try factory.make(clientID: ids[position])
                try installer.install(material)
                entries.append(material.indexEntry)
            } catch {
                let failure = error as? PKIError
                    ?? .issuanceFailed(clientID: ids[position], reason: "\(error)")
                return ChunkOutcome(chunk: chunk, entries: entries, error: failure)
            }
        }
        return ChunkOutcome(chunk: chunk, entries: entries, error: nil)
    }
}
