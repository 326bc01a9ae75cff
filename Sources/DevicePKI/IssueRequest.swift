import Foundation

/// What `fleet certs issue` is asked to make.
public struct IssueRequest: Sendable {
    /// Which client IDs to issue for.
    public enum ClientIDs: Sendable, Hashable {
        /// `count` IDs from a pattern, for indices `startIndex ..< startIndex + count`.
        case pattern(ClientIDPattern, count: Int, startIndex: Int)
        /// An explicit list (e.g. read from a file with `DeviceIdentityIssuer.readClientIDs(fromFile:)`).
        case list([String])
    }

    /// Where the identities and their index go.
    public var directory: String
    /// Where the signing CA (`intermediate.pem`/`.key`, and `foreign/`) lives when it is not `directory`:
    /// e.g. fault identities that reuse a device's client ID go to their own directory under the same CA.
    public var authorityDirectory: String?
    /// The folder whose `foreign/` holds the untrusted CA of the `foreign-ca` fault, when not the authority's:
    /// a run keeps it in its own folder, so it only reads the PKI it was given.
    public var foreignAuthorityParent: String?
    public var clientIDs: ClientIDs
    public var keyAlgorithm = KeyAlgorithm.p256
    public var validityDays = 365
    public var organization: String?
    public var organizationalUnit: String?
    /// Adds a DNS subject alternative name equal to the client ID (some brokers match on SAN).
    public var includeSubjectAlternativeName = false
    public var fault: IdentityFault?
    /// Replace identities that already exist; without it an existing identity is an error.
    public var overwrite = false
    public var now = Date()
    /// How many identities are made at once; key generation and signing are CPU-bound.
    public var parallelism = ProcessInfo.processInfo.activeProcessorCount

    public init(directory: String, clientIDs: ClientIDs) {
        self.directory = directory
        self.clientIDs = clientIDs
    }
}

/// The client IDs of a request, addressable by position without materialising a pattern's IDs.
struct ClientIDSequence: Sendable {
    let ids: IssueRequest.ClientIDs

    var count: Int {
        switch ids {
        case .pattern(_, let count, _): return count
        case .list(let list): return list.count
        }
    }

    subscript(position: Int) -> String {
        switch ids {
        case .pattern(let pattern, _, let startIndex): return pattern.clientID(forIndex: startIndex + position)
        case .list(let list): return list[position]
        }
    }

    /// Checks count, start index and pattern before any ID is looked at.
    func validateShape() throws {
        switch ids {
        case .pattern(let pattern, let count, let startIndex):
            guard count >= 1 else { throw PKIError.invalidCount(count) }
            guard startIndex >= 0 else { throw PKIError.invalidStartIndex(startIndex) }
            guard count == 1 || pattern.containsIndex else {
                throw PKIError.patternWithoutIndex(pattern: pattern.text, count: count)
            }
        case .list(let list):
            guard !list.isEmpty else { throw PKIError.invalidCount(0) }
        }
    }
}

/// What an issue run did.
public struct IssueSummary: Sendable {
    public let count: Int
    public let elapsedSeconds: Double
    public let firstClientID: String
    public let lastClientID: String
    public let indexCSV: String
    public let indexJSON: String

    public var identitiesPerSecond: Double { elapsedSeconds > 0 ? Double(count) / elapsedSeconds : 0 }
}
