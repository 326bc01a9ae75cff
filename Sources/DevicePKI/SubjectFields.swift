import X509

/// The parts of a certificate subject the fleet lets people set: CN, O, OU and C.
///
/// Brokers such as Azure Event Grid and mosquitto (`use_identity_as_username`) take the CN as the
/// client's identity; O and OU are for people reading the certificate.
public struct SubjectFields: Sendable, Hashable {
    public var commonName: String
    public var organization: String?
    public var organizationalUnit: String?
    public var country: String?

    public init(commonName: String, organization: String? = nil, organizationalUnit: String? = nil, country: String? = nil) {
        self.commonName = commonName
        self.organization = organization
        self.organizationalUnit = organizationalUnit
        self.country = country
    }

    /// Checks the fields before anything is generated, so bad input fails before a file is written.
    public func validate() throws {
        try Self.check(commonName, field: "common name (CN)", required: true)
        try Self.check(organization, field: "organization (O)", required: false)
        try Self.check(organizationalUnit, field: "organizational unit (OU)", required: false)
        if let country {
            guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw PKIError.invalidSubjectField(field: "country (C)", reason: "'\(country.escapedForMessage)' is not a two-letter code such as NZ")
            }
        }
    }

    /// The distinguished name in the conventional order C, O, OU, CN.
    public func distinguishedName() throws -> DistinguishedName {
        try validate()
        return try DistinguishedName {
            if let country { CountryName(country.uppercased()) }
            if let organization { OrganizationName(organization) }
            if let organizationalUnit { OrganizationalUnitName(organizationalUnit) }
            CommonName(commonName)
        }
    }

    private static func check(_ value: String?, field: String, required: Bool) throws {
        guard let value else {
            if required { throw PKIError.invalidSubjectField(field: field, reason: "must not be empty") }
            return
        }
        guard !value.isEmpty else { throw PKIError.invalidSubjectField(field: field, reason: "must not be empty") }
        // RFC 5280 upper bound for CN, O and OU.
        guard value.utf8.count <= 64 else {
            throw PKIError.invalidSubjectField(field: field, reason: "'\(value.escapedForMessage)' is longer than 64 bytes")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PKIError.invalidSubjectField(field: field, reason: "'\(value.escapedForMessage)' contains control characters")
        }
    }
}
